package dev.netra.sidecar.http;

import dev.netra.sidecar.config.SidecarConfig;

import java.util.Set;

/** Which connections are parsed as HTTP, by original-destination port. */
public final class HttpPolicy {
    /** How a connection is treated. */
    public enum Mode { HTTP, DETECT, OPAQUE }

    private final Set<Integer> httpPorts;
    private final Set<Integer> http2Ports;
    private final Set<Integer> opaquePorts;

    public HttpPolicy(SidecarConfig config) {
        this.httpPorts = config.http().httpPorts();
        this.http2Ports = config.http().http2Ports();
        this.opaquePorts = config.http().opaquePorts();
    }

    /**
     * NETRA_HTTP_PORTS and NETRA_HTTP2_PORTS are HTTP ports; when NETRA_HTTP_PORTS is set, it decides
     * with them alone (as in netramesh); otherwise every port but the opaque ones is detected by its
     * first bytes.
     */
    public Mode modeFor(int port) {
        if (http2Ports.contains(port)) {
            return Mode.HTTP;
        }
        if (!httpPorts.isEmpty()) {
            return httpPorts.contains(port) ? Mode.HTTP : Mode.OPAQUE;
        }
        return opaquePorts.contains(port) ? Mode.OPAQUE : Mode.DETECT;
    }
}
