package dev.netra.sidecar;

import org.tinylog.Logger;

import java.io.IOException;
import java.net.BindException;
import java.time.Duration;

/**
 * Binds a port, retrying while it is in use for at most {@link #DEADLINE}: a sidecar restarted
 * in the same network namespace (a container restart) may start while the one before it is
 * still draining connections and holds its admin port. Any other failure is not retried.
 */
final class Binding {
    static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final long RETRY_MILLIS = 50;

    @FunctionalInterface
    interface Bind<T> {
        T bind() throws IOException;
    }

    @FunctionalInterface
    interface BindVoid {
        void bind() throws IOException;
    }

    private Binding() {
    }

    static void retrying(String variable, int port, BindVoid bind) throws IOException {
        retrying(variable, port, () -> {
            bind.bind();
            return Boolean.TRUE;
        });
    }

    static <T> T retrying(String variable, int port, Bind<T> bind) throws IOException {
        return retrying(variable, port, bind, DEADLINE);
    }

    static <T> T retrying(String variable, int port, Bind<T> bind, Duration deadline) throws IOException {
        long end = System.nanoTime() + deadline.toNanos();
        boolean logged = false;
        while (true) {
            try {
                return bind.bind();
            } catch (BindException e) {
                if (System.nanoTime() - end >= 0) {
                    throw new BindException(variable + "=" + port + ": still in use after " + deadline.toSeconds()
                            + " s (" + e.getMessage() + "); is another sidecar running in this network namespace?");
                }
                if (!logged) {
                    Logger.info("{}={} is in use (a sidecar before this one still stopping?); retrying for up to {} s",
                            variable, port, deadline.toSeconds());
                    logged = true;
                }
                try {
                    Thread.sleep(RETRY_MILLIS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }
}
