package dev.netra.sidecar.http;

import dev.netra.sidecar.config.SidecarConfig;

import java.util.Set;

/** Which connections are parsed as HTTP/1, by original-destination port. */
public final class HttpPolicy {
    /** How a connection is treated. */
    public enum Mode { HTTP, DETECT, OPAQUE }

    private final Set<Integer> httpPorts;
    private final Set<Integer> opaquePorts;

    public HttpPolicy(SidecarConfig config) {
        this.httpPorts = config.http().httpPorts();
        this.opaquePorts = config.http().opaquePorts();
    }

    /**
     * NETRA_HTTP_PORTS, when set, decides alone (as in netramesh); otherwise every port but the
     * opaque ones is detected by its first bytes.
     */
    public Mode modeFor(int port) {
        if (!httpPorts.isEmpty()) {
            return httpPorts.contains(port) ? Mode.HTTP : Mode.OPAQUE;
        }
        return opaquePorts.contains(port) ? Mode.OPAQUE : Mode.DETECT;
    }
}
