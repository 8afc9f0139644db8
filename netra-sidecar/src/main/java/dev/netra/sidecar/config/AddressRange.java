package dev.netra.sidecar.config;

import java.net.InetAddress;

/** An IPv4 or IPv6 CIDR block ({@code 10.0.0.0/8}, {@code fd00::/8}); an address alone is its /32 or /128. */
public record AddressRange(byte[] network, int prefix, String text) {
    /**
     * @throws ConfigException naming {@code variable} and the bad item
     */
    static AddressRange parse(String variable, String item) {
        int slash = item.indexOf('/');
        String address = slash < 0 ? item : item.substring(0, slash);
        byte[] bytes;
        try {
            bytes = InetAddress.ofLiteral(address).getAddress();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(variable + ": '" + item + "' is not an address or CIDR block (such as 10.0.0.0/8)");
        }
        int max = bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(item.substring(slash + 1));
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > max) {
                throw new ConfigException(variable + ": '" + item + "' has a prefix length outside 0-" + max);
            }
        }
        return new AddressRange(bytes, prefix, item);
    }

    /** Whether {@code a} lies in this block (an IPv4 address never lies in an IPv6 block, nor the reverse). */
    public boolean contains(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length != network.length) {
            return false;
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (b[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = 0xff << (8 - rest) & 0xff;
        return (b[full] & mask) == (network[full] & mask);
    }

    @Override
    public String toString() {
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AddressRange r && r.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }
}
