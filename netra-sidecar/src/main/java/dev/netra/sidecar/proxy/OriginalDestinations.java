package dev.netra.sidecar.proxy;

import dev.netra.ffm.SocketOptions;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.Optional;

/** Where an accepted connection was going before iptables redirected it; empty when it was not. */
@FunctionalInterface
public interface OriginalDestinations {
    /** The kernel's answer, through netra-ffm. */
    OriginalDestinations KERNEL = SocketOptions::originalDestination;

    Optional<InetSocketAddress> of(SocketChannel accepted) throws IOException;
}
