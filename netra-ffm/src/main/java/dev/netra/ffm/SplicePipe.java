package dev.netra.ffm;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.channels.SocketChannel;
import java.util.function.LongConsumer;

import sun.nio.ch.Net;
import sun.nio.ch.SelChImpl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A kernel pipe that moves one direction's bytes from a socket to another with splice(2): they
 * never enter the JVM (no copy into a buffer and back out).
 *
 * <p>Used by one thread, which must keep both sockets open while it uses the pipe: their file
 * descriptors are used directly, and a descriptor closed underneath could be reused by another
 * socket. Both sockets must be in non-blocking mode (the JDK puts a socket there once a virtual
 * thread has blocked on it); {@link #transfer} waits by parking a virtual thread on the JDK's
 * poller, as a blocking read or write would.
 */
public final class SplicePipe implements AutoCloseable {
    /** What {@link #fill} and {@link #drain} return when the socket is not ready. */
    static final int WOULD_BLOCK = -1;

    private static final int SPLICE_F_MOVE = 1;
    private static final int SPLICE_F_NONBLOCK = 2;
    private static final int O_NONBLOCK = 04000;
    private static final int O_CLOEXEC = 02000000;
    private static final int F_GETFL = 3;
    private static final int F_SETPIPE_SZ = 1031;
    private static final int F_GETPIPE_SZ = 1032;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;

    private static volatile boolean linked;

    /** Linked by {@link #link} or when the first pipe opens. */
    private static final class Native {
        static final MethodHandle SPLICE = Libc.downcall("splice",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
        static final MethodHandle PIPE2 = Libc.downcall("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle FCNTL = Libc.LINKER.downcallHandle(Libc.LINKER.defaultLookup().find("fcntl").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
                Linker.Option.firstVariadicArg(2), Linker.Option.captureCallState("errno"));
        static final MethodHandle CLOSE = Libc.downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    private final SocketChannel from;
    private final SocketChannel to;
    private final int fromFd;
    private final int toFd;
    /** errno of this pipe's calls; in GC-managed memory, since the pipe may move between threads. */
    private final MemorySegment state;
    private final int readEnd;
    private final int writeEnd;
    private final int capacity;
    private int held;
    private boolean closed;

    private SplicePipe(SocketChannel from, SocketChannel to, MemorySegment state, int readEnd, int writeEnd, int capacity) {
        this.from = from;
        this.to = to;
        this.fromFd = SocketOptions.fd(from);
        this.toFd = SocketOptions.fd(to);
        this.state = state;
        this.readEnd = readEnd;
        this.writeEnd = writeEnd;
        this.capacity = capacity;
    }

    /**
     * Links the downcalls now (~60 ms here, ~0.5 MB: FFM spins their classes at run time, an AOT
     * cache cannot hold them); {@link #open} does it too, inside the caller's time.
     *
     * @throws IllegalStateException when libc lacks a function (not Linux)
     */
    public static void link() {
        MethodHandle ignored = Native.SPLICE;
        linked = true;
    }

    /** Whether {@link #link} (or an {@link #open}) has been done. */
    public static boolean linked() {
        return linked;
    }

    /**
     * A pipe from {@code from} to {@code to} that holds about {@code bytes}: the kernel rounds it to
     * pages, and gives less (64 KB, or two pages) once this uid's pipe budget is spent; see
     * {@link #capacity}.
     *
     * @throws IOException when the kernel refuses a pipe (errno in the message)
     * @throws IllegalStateException when a socket is in blocking mode: splicing it would block
     *                               the carrier thread
     */
    public static SplicePipe open(SocketChannel from, SocketChannel to, int bytes) throws IOException {
        link();
        Arena arena = Arena.ofAuto();
        try {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            MemorySegment state = arena.allocate(Libc.CALL_STATE);
            requireNonBlocking(state, from);
            requireNonBlocking(state, to);
            int rc = (int) Native.PIPE2.invokeExact(state, fds, O_CLOEXEC | O_NONBLOCK);
            if (rc != 0) {
                throw new IOException("pipe2 failed: " + Libc.describe(Libc.errno(state)));
            }
            int readEnd = fds.getAtIndex(JAVA_INT, 0);
            int writeEnd = fds.getAtIndex(JAVA_INT, 1);
            int capacity = (int) Native.FCNTL.invokeExact(state, writeEnd, F_SETPIPE_SZ, bytes);
            if (capacity < 0) {
                capacity = (int) Native.FCNTL.invokeExact(state, writeEnd, F_GETPIPE_SZ, 0);
            }
            return new SplicePipe(from, to, state, readEnd, writeEnd, Math.max(capacity, 4096));
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Run by {@link #transfer} before each step and after each wait; it stops the transfer by throwing. */
    @FunctionalInterface
    public interface Check {
        void check() throws IOException;
    }

    /**
     * Moves everything {@code from} sends to {@code to} until {@code from}'s end of stream, each
     * chunk read whole into the empty pipe and written out whole before the next, parking while a
     * socket is not ready. {@code moved} hears of each chunk once it is written. Returns the bytes
     * moved.
     *
     * @throws IOException when a socket failed (errno in the message), or what {@code check} threw
     */
    public long transfer(Check check, LongConsumer moved) throws IOException {
        return transfer(check, moved, Long.MAX_VALUE);
    }

    /**
     * {@link #transfer(Check, LongConsumer)} that stops after {@code limit} bytes: not one byte
     * more is read from {@code from} (what follows belongs to someone else, e.g. the next HTTP
     * message). Returns the bytes moved, less than {@code limit} when {@code from} ended first.
     */
    public long transfer(Check check, LongConsumer moved, long limit) throws IOException {
        long total = 0;
        while (total < limit) {
            check.check();
            int n = fill((int) Math.min(capacity, limit - total));
            if (n == 0) {
                return total;
            }
            if (n == WOULD_BLOCK) {
                awaitReadable();
                continue;
            }
            while (held > 0) {
                if (drain() == WOULD_BLOCK) {
                    awaitWritable();
                    check.check();
                }
            }
            moved.accept(n);
            total += n;
        }
        return total;
    }

    /**
     * Moves what {@code from} holds, at most {@code max} bytes, into the (empty) pipe: the bytes
     * moved, 0 at the end of its stream, or {@link #WOULD_BLOCK} when it holds nothing yet.
     *
     * @throws IOException when the socket failed, e.g. reset by its peer (errno in the message)
     */
    int fill(int max) throws IOException {
        // Only into an empty pipe: a pipe also fills up by its slots (one per segment), and then
        // EAGAIN would not mean that the socket is empty.
        if (held != 0) {
            throw new IllegalStateException("fill with " + held + " bytes still in the pipe");
        }
        long n = splice(fromFd, writeEnd, Math.min(max, capacity), true);
        if (n > 0) {
            held += (int) n;
        }
        return (int) n;
    }

    /**
     * Moves what the pipe holds into {@code to}: the bytes moved, or {@link #WOULD_BLOCK} when its
     * send buffer is full.
     *
     * @throws IOException when the socket failed, e.g. its peer is gone (errno in the message)
     */
    int drain() throws IOException {
        long n = splice(readEnd, toFd, held, false);
        if (n > 0) {
            held -= (int) n;
        }
        return (int) n;
    }

    /** What the pipe holds at most: what the kernel gave, which can be less than was asked. */
    public int capacity() {
        return capacity;
    }

    /** Bytes in the pipe: read from {@code from}, not yet written to {@code to}. */
    int held() {
        return held;
    }

    /** Parks until {@code from} has bytes (or its end of stream, or an error) to read. */
    void awaitReadable() throws IOException {
        ((SelChImpl) from).park(Net.POLLIN);
    }

    /** Parks until {@code to} can take more bytes (or failed). */
    void awaitWritable() throws IOException {
        ((SelChImpl) to).park(Net.POLLOUT);
    }

    /** Closes the pipe (not the sockets); what it still held is dropped. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                int ignored = (int) Native.CLOSE.invokeExact(state, readEnd);
                ignored = (int) Native.CLOSE.invokeExact(state, writeEnd);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }

    /** One splice call; {@code fromSocket} says which end is the socket, for the error message. */
    private long splice(int in, int out, int len, boolean fromSocket) throws IOException {
        try {
            while (true) {
                long n = (long) Native.SPLICE.invokeExact(state, in, MemorySegment.NULL, out, MemorySegment.NULL,
                        (long) len, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
                if (n >= 0) {
                    return n;
                }
                int errno = Libc.errno(state);
                if (errno == EAGAIN) {
                    return WOULD_BLOCK;
                }
                if (errno != EINTR) {
                    throw new IOException((fromSocket ? "splice from fd " + in : "splice to fd " + out)
                            + " failed: " + Libc.describe(errno));
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void requireNonBlocking(MemorySegment state, SocketChannel ch) throws Throwable {
        int fd = SocketOptions.fd(ch);
        int flags = (int) Native.FCNTL.invokeExact(state, fd, F_GETFL, 0);
        if (flags < 0 || (flags & O_NONBLOCK) == 0) {
            throw new IllegalStateException("fd " + fd + " is in blocking mode (or gone): splicing it would block"
                    + " the thread; a socket is non-blocking once a virtual thread has blocked on it");
        }
    }
}
