package dev.netra.ffm;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SocketOptionsTest {

    private static final int IPPROTO_TCP = 6;
    private static final int TCP_NODELAY = 1;

    @Test
    void connectionThatWasNotRedirectedHasNoOriginalDestination() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             SocketChannel client = SocketChannel.open(server.getLocalAddress());
             SocketChannel accepted = server.accept()) {
            assertTrue(SocketOptions.originalDestination(accepted).isEmpty());
            assertTrue(client.isConnected());
        }
    }

    @Test
    void integerOptionsRoundTripThroughLibc() throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             SocketChannel client = SocketChannel.open(server.getLocalAddress())) {
            SocketOptions.setInt(client, IPPROTO_TCP, TCP_NODELAY, 1);
            assertEquals(1, SocketOptions.getInt(client, IPPROTO_TCP, TCP_NODELAY));
            assertEquals(Boolean.TRUE, client.getOption(java.net.StandardSocketOptions.TCP_NODELAY));
            SocketOptions.setInt(client, IPPROTO_TCP, TCP_NODELAY, 0);
            assertEquals(Boolean.FALSE, client.getOption(java.net.StandardSocketOptions.TCP_NODELAY));
        }
    }

    @Test
    void kernelErrorsCarryErrnoText() throws IOException {
        try (SocketChannel channel = SocketChannel.open()) {
            IOException e = assertThrows(IOException.class, () -> SocketOptions.setInt(channel, 9999, 1, 1));
            // an unknown level on a TCP socket: ENOPROTOOPT, read from the captured errno
            assertTrue(e.getMessage().endsWith("(errno 92)"), e.getMessage());
        }
    }

    @Test
    void decodesIpv4AndIpv6SockaddrInNetworkOrder() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v4 = arena.allocate(28);
            v4.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 0, (short) 2);
            v4.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 2, (byte) 0x1f);
            v4.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 3, (byte) 0x90);
            byte[] ip = {10, 1, 2, 3};
            MemorySegment.copy(MemorySegment.ofArray(ip), 0, v4, 4, 4);
            assertEquals(new InetSocketAddress(InetAddress.getByAddress(ip), 8080), SocketOptions.decode(v4));

            MemorySegment v6 = arena.allocate(28);
            v6.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 0, (short) 10);
            v6.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 2, (byte) 0x00);
            v6.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 3, (byte) 0x50);
            byte[] ip6 = InetAddress.getByName("fd00::42").getAddress();
            MemorySegment.copy(MemorySegment.ofArray(ip6), 0, v6, 8, 16);
            assertEquals(new InetSocketAddress(InetAddress.getByName("fd00::42"), 80), SocketOptions.decode(v6));

            MemorySegment bad = arena.allocate(28);
            bad.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 0, (short) 1);
            assertThrows(IOException.class, () -> SocketOptions.decode(bad));
        }
    }
}
