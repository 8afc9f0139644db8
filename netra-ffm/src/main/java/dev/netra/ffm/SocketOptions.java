package dev.netra.ffm;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SocketChannel;
import java.util.Optional;

import sun.nio.ch.SelChImpl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Socket options that java.nio does not expose (SO_ORIGINAL_DST, IPV6_V6ONLY, ...), read and
 * written with getsockopt/setsockopt of libc through {@code java.lang.foreign}.
 *
 * <p>This package is the only place in netra that calls native code. It needs the JVM flags
 * {@code --enable-native-access=ALL-UNNAMED} (libc calls) and
 * {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED} (to read a channel's file descriptor).
 */
public final class SocketOptions {

    /** Linux {@code SOL_IP}. */
    public static final int SOL_IP = 0;
    /** Linux {@code SOL_SOCKET}. */
    public static final int SOL_SOCKET = 1;
    /** Linux {@code SOL_IPV6} (= {@code IPPROTO_IPV6}). */
    public static final int SOL_IPV6 = 41;
    /** netfilter's {@code SO_ORIGINAL_DST} (level SOL_IP). */
    public static final int SO_ORIGINAL_DST = 80;
    /** netfilter's {@code IP6T_SO_ORIGINAL_DST} (level SOL_IPV6). */
    public static final int IP6T_SO_ORIGINAL_DST = 80;
    /** {@code IPV6_V6ONLY} (level SOL_IPV6). */
    public static final int IPV6_V6ONLY = 26;

    private static final int ENOENT = 2;
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int SOCKADDR_IN6_SIZE = 28;
    private static final ValueLayout.OfShort NET_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private static final MethodHandle GETSOCKOPT = Libc.downcall("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));

    private SocketOptions() {
    }

    /**
     * Linked on first use: every downcall handle costs start-up time (docs/performance-log.md),
     * and the first connection waits for getsockopt; the sidecar itself never sets an option.
     */
    private static final class Setsockopt {
        static final MethodHandle HANDLE = Libc.downcall("setsockopt",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    }

    /**
     * Links the getsockopt downcall now (it happens in this class's initialisation): a caller can
     * pay that on a spare thread before the first connection needs it, without opening a socket.
     */
    public static void link() {
        // initialising the class is the work
    }

    /**
     * The destination a connection had before iptables REDIRECT sent it to us, or empty when
     * the connection was not redirected (someone connected to the listener directly: no
     * conntrack entry, or one whose original destination is the listener itself).
     *
     * @throws IOException when the kernel refuses for any other reason (errno in the message)
     */
    public static Optional<InetSocketAddress> originalDestination(SocketChannel channel) throws IOException {
        // A dual-stack listener hands IPv4 peers over as IPv4-mapped addresses; the kernel keeps
        // their conntrack entry under IPv4, so the level follows the peer's family, not the socket's.
        InetSocketAddress local = (InetSocketAddress) channel.getLocalAddress();
        boolean ipv4 = local.getAddress() instanceof Inet4Address;
        int fd = fd(channel);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment addr = arena.allocate(SOCKADDR_IN6_SIZE, 8);
            MemorySegment len = arena.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, SOCKADDR_IN6_SIZE);
            int rc = ipv4
                    ? getsockopt(arena, fd, SOL_IP, SO_ORIGINAL_DST, addr, len)
                    : getsockopt(arena, fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, addr, len);
            if (rc == -ENOENT) {
                return Optional.empty();
            }
            if (rc < 0) {
                throw new IOException("getsockopt(" + (ipv4 ? "SO_ORIGINAL_DST" : "IP6T_SO_ORIGINAL_DST")
                        + ") on fd " + fd + " failed: " + Libc.describe(-rc));
            }
            InetSocketAddress original = decode(addr);
            // With conntrack loaded, a connection made straight to the listener has an entry too,
            // whose "original" destination is simply the listener itself.
            return original.equals(local) ? Optional.empty() : Optional.of(original);
        }
    }

    /** Sets an integer socket option, e.g. {@code setInt(ch, SOL_IPV6, IPV6_V6ONLY, 1)}. */
    public static void setInt(NetworkChannel channel, int level, int option, int value) throws IOException {
        int fd = fd(channel);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment val = arena.allocateFrom(JAVA_INT, value);
            MemorySegment state = arena.allocate(Libc.CALL_STATE);
            int rc = (int) Setsockopt.HANDLE.invokeExact(state, fd, level, option, val, (int) JAVA_INT.byteSize());
            if (rc != 0) {
                int errno = Libc.errno(state);
                throw new IOException("setsockopt(level " + level + ", option " + option + ") on fd " + fd
                        + " failed: " + Libc.describe(errno));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Reads an integer socket option. */
    public static int getInt(NetworkChannel channel, int level, int option) throws IOException {
        int fd = fd(channel);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment val = arena.allocate(JAVA_INT);
            MemorySegment len = arena.allocateFrom(JAVA_INT, (int) JAVA_INT.byteSize());
            int rc = getsockopt(arena, fd, level, option, val, len);
            if (rc < 0) {
                throw new IOException("getsockopt(level " + level + ", option " + option + ") on fd " + fd
                        + " failed: " + Libc.describe(-rc));
            }
            return val.get(JAVA_INT, 0);
        }
    }

    /** The file descriptor behind a JDK socket channel. */
    public static int fd(NetworkChannel channel) {
        try {
            if (channel instanceof SelChImpl ch) {
                return ch.getFDVal();
            }
        } catch (IllegalAccessError e) {
            throw new IllegalStateException("cannot read a channel's file descriptor: start the JVM with "
                    + "--add-exports java.base/sun.nio.ch=ALL-UNNAMED", e);
        }
        throw new IllegalArgumentException("not a JDK socket channel: " + channel.getClass().getName());
    }

    /** Returns 0 or -errno. */
    private static int getsockopt(Arena arena, int fd, int level, int option, MemorySegment val, MemorySegment len) {
        MemorySegment state = arena.allocate(Libc.CALL_STATE);
        try {
            int rc = (int) GETSOCKOPT.invokeExact(state, fd, level, option, val, len);
            return rc == 0 ? 0 : -Libc.errno(state);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static InetSocketAddress decode(MemorySegment sockaddr) throws IOException {
        int family = Short.toUnsignedInt(sockaddr.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0));
        int port = Short.toUnsignedInt(sockaddr.get(NET_SHORT, 2));
        byte[] ip;
        if (family == AF_INET) {
            ip = sockaddr.asSlice(4, 4).toArray(ValueLayout.JAVA_BYTE);
        } else if (family == AF_INET6) {
            ip = sockaddr.asSlice(8, 16).toArray(ValueLayout.JAVA_BYTE);
        } else {
            throw new IOException("original destination has unknown address family " + family);
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (UnknownHostException e) {
            throw new IOException(e);
        }
    }
}
