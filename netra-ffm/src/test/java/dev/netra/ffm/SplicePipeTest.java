package dev.netra.ffm;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SplicePipeTest {
    private final List<AutoCloseable> open = new ArrayList<>();
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void close() throws Exception {
        threads.shutdownNow();
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    /**
     * Two connected sockets on loopback: [0] the outer end a test writes or reads, [1] the inner end
     * a pipe splices, in blocking mode or not (what a virtual thread's first blocking call does).
     */
    private SocketChannel[] pair(boolean innerBlocking) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        open.add(server);
        SocketChannel outer = SocketChannel.open(server.getLocalAddress());
        open.add(outer);
        SocketChannel inner = server.accept();
        open.add(inner);
        inner.configureBlocking(innerBlocking);
        return new SocketChannel[] {outer, inner};
    }

    @Test
    void movesEveryByteInOrderUntilTheEndOfStream() throws Exception {
        SocketChannel[] in = pair(false);
        SocketChannel[] out = pair(false);
        byte[] data = new byte[8 << 20];
        new Random(7).nextBytes(data);
        SplicePipe pipe = SplicePipe.open(in[1], out[1], 256 * 1024);
        open.add(pipe);
        AtomicLong heard = new AtomicLong();
        Future<Long> moved = threads.submit(() -> pipe.transfer(() -> { }, heard::addAndGet));
        Future<byte[]> received = threads.submit(() -> digest(out[0]));
        threads.submit((Callable<Void>) () -> {
            for (int off = 0; off < data.length; off += 100_000) { // many writes: many fills
                ByteBuffer b = ByteBuffer.wrap(data, off, Math.min(100_000, data.length - off));
                while (b.hasRemaining()) {
                    in[0].write(b);
                }
            }
            in[0].shutdownOutput();
            return null;
        });
        assertEquals(data.length, moved.get(30, TimeUnit.SECONDS));
        assertEquals(data.length, heard.get(), "every chunk reported once written");
        assertEquals(0, pipe.held());
        out[1].shutdownOutput(); // what the sidecar does at the end of a direction
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(data), received.get(30, TimeUnit.SECONDS));
    }

    @Test
    void aLimitedTransferStopsAtItsLimitAndLeavesWhatFollowsInTheSocket() throws Exception {
        SocketChannel[] in = pair(false);
        SocketChannel[] out = pair(false);
        byte[] data = new byte[3 << 20];
        new Random(9).nextBytes(data);
        long limit = (2 << 20) + 12_345; // not a multiple of the pipe
        SplicePipe pipe = SplicePipe.open(in[1], out[1], 256 * 1024);
        open.add(pipe);
        Future<Long> moved = threads.submit(() -> pipe.transfer(() -> { }, n -> { }, limit));
        Future<byte[]> received = threads.submit(() -> readN(out[0], (int) limit));
        threads.submit(() -> in[0].write(ByteBuffer.wrap(data)));
        assertEquals(limit, moved.get(30, TimeUnit.SECONDS));
        assertArrayEquals(Arrays.copyOf(data, (int) limit), received.get(30, TimeUnit.SECONDS));
        in[1].configureBlocking(true);
        byte[] rest = readN(in[1], data.length - (int) limit);
        assertArrayEquals(Arrays.copyOfRange(data, (int) limit, data.length), rest, "what follows the limit is still to be read");
    }

    private static byte[] readN(SocketChannel ch, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                break;
            }
        }
        return Arrays.copyOf(b.array(), b.position());
    }

    @Test
    void aCheckThatThrowsStopsATransferThatWaits() throws Exception {
        SocketChannel[] in = pair(false);
        SocketChannel[] out = pair(false);
        AtomicBoolean stop = new AtomicBoolean();
        try (SplicePipe pipe = SplicePipe.open(in[1], out[1], 65536)) {
            Future<Long> moved = threads.submit(() -> pipe.transfer(() -> {
                if (stop.get()) {
                    throw new ClosedChannelException();
                }
            }, n -> { }));
            in[0].write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            ByteBuffer got = ByteBuffer.allocate(3);
            while (got.hasRemaining()) {
                out[0].read(got);
            }
            stop.set(true);
            in[0].write(ByteBuffer.wrap(new byte[] {4})); // wakes the waiting transfer, which checks first
            ExecutionException e = assertThrows(ExecutionException.class, () -> moved.get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof ClosedChannelException, e.toString());
        }
    }

    @Test
    void anEmptySocketWouldBlockInsteadOfEndingTheStream() throws Exception {
        SocketChannel[] in = pair(false);
        SocketChannel[] out = pair(false);
        try (SplicePipe pipe = SplicePipe.open(in[1], out[1], 65536)) {
            assertEquals(SplicePipe.WOULD_BLOCK, pipe.fill(Integer.MAX_VALUE));
            in[0].write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            Future<Integer> filled = threads.submit(() -> {
                pipe.awaitReadable();
                return pipe.fill(Integer.MAX_VALUE);
            });
            assertEquals(3, filled.get(10, TimeUnit.SECONDS));
            assertEquals(3, pipe.held());
            assertThrows(IllegalStateException.class, () -> pipe.fill(Integer.MAX_VALUE), "only an empty pipe is filled");
        }
    }

    @Test
    void aPeerResetIsAnErrorThatNamesTheErrno() throws Exception {
        SocketChannel[] in = pair(false);
        SocketChannel[] out = pair(false);
        in[0].write(ByteBuffer.wrap(new byte[] {1}));
        in[0].setOption(StandardSocketOptions.SO_LINGER, 0);
        in[0].close();
        try (SplicePipe pipe = SplicePipe.open(in[1], out[1], 65536)) {
            IOException e = assertThrows(IOException.class, () -> {
                for (int i = 0; i < 1000; i++) {
                    pipe.fill(Integer.MAX_VALUE); // reads the byte first when it is still there, then the reset
                    if (pipe.held() > 0) {
                        pipe.drain();
                    }
                }
            });
            assertTrue(e.getMessage().contains("errno 104"), e.getMessage());
        }
    }

    @Test
    void refusesASocketInBlockingMode() throws Exception {
        SocketChannel[] in = pair(true);
        SocketChannel[] out = pair(false);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SplicePipe.open(in[1], out[1], 65536));
        assertTrue(e.getMessage().contains("blocking mode"), e.getMessage());
    }

    private static byte[] digest(SocketChannel ch) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        ByteBuffer b = ByteBuffer.allocate(65536);
        while (ch.read(b.clear()) >= 0) {
            md.update(b.flip());
        }
        return md.digest();
    }
}
