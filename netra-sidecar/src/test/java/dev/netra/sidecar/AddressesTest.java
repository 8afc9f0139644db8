package dev.netra.sidecar;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AddressesTest {
    @ParameterizedTest
    @CsvSource({
            "10.1.2.3, 10.1.2.3:80",
            "fd77:0:0:0:0:0:0:2, [fd77::2]:80",
            "0:0:0:0:0:0:0:1, [::1]:80",
            "0:0:0:0:0:0:0:0, [::]:80",
            "2001:db8:0:0:1:0:0:1, [2001:db8::1:0:0:1]:80",
            "2001:db8:0:1:1:1:1:1, [2001:db8:0:1:1:1:1:1]:80",
            "fe80:0:0:0:0:0:0:0, [fe80::]:80",
    })
    void formatsLikeRfc5952(String ip, String expected) throws UnknownHostException {
        assertEquals(expected, Addresses.format(new InetSocketAddress(InetAddress.getByName(ip), 80)));
    }
}
