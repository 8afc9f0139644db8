package dev.netra.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PinnedEventsTest {
    /** Run in a JVM recording with {@link PinnedEvents#SETTINGS}: one virtual thread pins its carrier. */
    public static final class PinOnce {
        /** A virtual thread that sleeps in a static initializer cannot unmount. */
        static final class SlowInit {
            static final long LOADED;

            static {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                LOADED = System.nanoTime();
            }
        }

        public static void main(String[] args) throws InterruptedException {
            Thread.ofVirtual().start(() -> System.out.println(SlowInit.LOADED)).join();
        }
    }

    @Test
    void theBenchSettingsRecordPinsAndTheyAreCountedAroundTheMoment(@TempDir Path dir) throws Exception {
        Path jfr = dir.resolve("pinned.jfr");
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(List.of(java, "-XX:StartFlightRecording=filename=" + jfr + "," + PinnedEvents.SETTINGS,
                "-cp", System.getProperty("java.class.path"), PinOnce.class.getName()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the recording JVM did not exit");
        assertEquals(0, p.exitValue());

        PinnedEvents all = PinnedEvents.read(jfr, Instant.EPOCH);
        assertEquals(0, all.before());
        assertEquals(1, all.after(), "the class-initialisation pin");
        assertTrue(all.firstAfter().contains("PinOnce"), all.firstAfter());
        PinnedEvents none = PinnedEvents.read(jfr, Instant.now().plusSeconds(60));
        assertEquals(1, none.before());
        assertEquals(0, none.after());
    }
}
