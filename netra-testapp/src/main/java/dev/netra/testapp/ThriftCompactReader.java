package dev.netra.testapp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Decodes Thrift compact protocol into maps (field id to value) and lists, whatever the schema. */
final class ThriftCompactReader {
    private final ByteBuffer b;

    ThriftCompactReader(ByteBuffer b) {
        this.b = b;
    }

    /** Reads a message header; returns the method name. */
    String messageBegin() {
        if ((b.get() & 0xff) != 0x82) {
            throw new IllegalArgumentException("not Thrift compact");
        }
        b.get(); // version and message type
        varint();
        return string();
    }

    Map<Integer, Object> struct() {
        Map<Integer, Object> fields = new LinkedHashMap<>();
        int last = 0;
        while (true) {
            int header = b.get() & 0xff;
            if (header == 0) {
                return fields;
            }
            int type = header & 0x0f;
            int delta = header >>> 4;
            int id = delta != 0 ? last + delta : (int) zigzag(varint());
            last = id;
            fields.put(id, type == 1 || type == 2 ? type == 1 : value(type));
        }
    }

    private Object value(int type) {
        return switch (type) {
            case 1, 2 -> b.get() == 1;
            case 3 -> b.get();
            case 4, 5 -> (int) zigzag(varint());
            case 6 -> zigzag(varint());
            case 7 -> b.order(ByteOrder.LITTLE_ENDIAN).getDouble();
            case 8 -> string();
            case 9, 10 -> list();
            case 12 -> struct();
            default -> throw new IllegalArgumentException("unsupported Thrift type " + type);
        };
    }

    private List<Object> list() {
        int header = b.get() & 0xff;
        int size = header >>> 4;
        if (size == 15) {
            size = (int) varint();
        }
        List<Object> items = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            items.add(value(header & 0x0f));
        }
        return items;
    }

    private String string() {
        int n = (int) varint();
        byte[] s = new byte[n];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private long varint() {
        long result = 0;
        int shift = 0;
        while (true) {
            int x = b.get() & 0xff;
            result |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                return result;
            }
            shift += 7;
        }
    }

    private static long zigzag(long n) {
        return (n >>> 1) ^ -(n & 1);
    }
}
