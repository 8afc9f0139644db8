package dev.netra.bench;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Counts jdk.VirtualThreadPinned events in a JFR recording, before and after a moment (the end of
 * the warm-up): a pinned virtual thread holds its carrier while it blocks, and with two carriers
 * that stalls half the sidecar.
 */
record PinnedEvents(int before, int after, String firstAfter) {
    /** -XX:StartFlightRecording settings: this event only ("+": settings=none has no entry for it to change). */
    static final String SETTINGS = "settings=none,+jdk.VirtualThreadPinned#enabled=true,"
            + "+jdk.VirtualThreadPinned#threshold=0ms,+jdk.VirtualThreadPinned#stackTrace=true";

    static PinnedEvents read(Path jfr, Instant steadyFrom) throws IOException {
        int before = 0;
        int after = 0;
        String first = null;
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            if (!e.getEventType().getName().equals("jdk.VirtualThreadPinned")) {
                continue;
            }
            if (e.getStartTime().isBefore(steadyFrom)) {
                before++;
            } else {
                after++;
                if (first == null) {
                    first = describe(e);
                }
            }
        }
        return new PinnedEvents(before, after, first);
    }

    private static String describe(RecordedEvent e) {
        String why = e.hasField("pinnedReason") ? e.getString("pinnedReason") : "";
        if (e.getStackTrace() == null) {
            return why;
        }
        for (RecordedFrame f : e.getStackTrace().getFrames()) {
            if (f.getMethod().getType().getName().startsWith("dev.netra")) {
                return why + " at " + f.getMethod().getType().getName() + "." + f.getMethod().getName();
            }
        }
        return why;
    }
}
