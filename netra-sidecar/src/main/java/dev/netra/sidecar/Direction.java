package dev.netra.sidecar;

import java.util.Locale;

/** Which way an intercepted connection goes: into this pod's app, or out of it. */
public enum Direction {
    INBOUND, OUTBOUND;

    /** The metric label and log word. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
