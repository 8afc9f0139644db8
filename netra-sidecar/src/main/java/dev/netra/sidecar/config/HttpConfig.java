package dev.netra.sidecar.config;

import java.time.Duration;
import java.util.Set;

/**
 * Which connections are parsed as HTTP and what netra adds to them (rows in {@link Settings}).
 *
 * @param httpPorts       NETRA_HTTP_PORTS: when set, only these are parsed
 * @param http2Ports      NETRA_HTTP2_PORTS: parsed as NETRA_HTTP_PORTS are, for HTTP/2 clients
 * @param http2           NETRA_HTTP2: HTTP/2 is parsed where HTTP/1 is
 * @param opaquePorts     NETRA_OPAQUE_PORTS: never detected
 * @param detectTimeout   NETRA_DETECT_TIMEOUT_MILLISECONDS
 * @param maxHeaderBytes  NETRA_HTTP_MAX_HEADER_BYTES
 * @param requestIdHeader NETRA_HTTP_REQUEST_ID_HEADER_NAME
 * @param xSourceHeader   NETRA_HTTP_X_SOURCE_HEADER_NAME
 * @param xSourceValue    NETRA_HTTP_X_SOURCE_VALUE
 */
public record HttpConfig(Set<Integer> httpPorts, Set<Integer> http2Ports, boolean http2, Set<Integer> opaquePorts, Duration detectTimeout, int maxHeaderBytes,
                         String requestIdHeader, String xSourceHeader, String xSourceValue) {
    static HttpConfig from(Settings.Values v) {
        return new HttpConfig(v.get(Settings.HTTP_PORTS), v.get(Settings.HTTP2_PORTS), v.get(Settings.HTTP2),
                v.get(Settings.OPAQUE_PORTS), v.get(Settings.DETECT_TIMEOUT),
                v.get(Settings.MAX_HEADER_BYTES), v.get(Settings.REQUEST_ID_HEADER), v.get(Settings.X_SOURCE_HEADER),
                v.get(Settings.X_SOURCE_VALUE));
    }
}
