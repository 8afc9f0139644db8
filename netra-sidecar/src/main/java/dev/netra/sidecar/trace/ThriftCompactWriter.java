package dev.netra.sidecar.trace;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** The few pieces of Thrift's compact protocol that a Jaeger agent's emitBatch needs. */
final class ThriftCompactWriter {
    static final byte STRING = 8;
    static final byte I32 = 5;
    static final byte I64 = 6;
    static final byte DOUBLE = 7;
    static final byte LIST = 9;
    static final byte STRUCT = 12;
    private static final byte BOOL_TRUE = 1;
    private static final byte BOOL_FALSE = 2;
    private static final byte ONEWAY = 4;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
    private final short[] lastField = new short[16];
    private int depth;

    void messageBegin(String name, int seq) {
        out.write(0x82);
        out.write(1 | ONEWAY << 5);
        varint(seq);
        string(name);
    }

    void structBegin() {
        lastField[++depth] = 0;
    }

    void structEnd() {
        out.write(0); // STOP
        depth--;
    }

    void field(int id, byte type) {
        int delta = id - lastField[depth];
        if (delta > 0 && delta <= 15) {
            out.write(delta << 4 | type);
        } else {
            out.write(type);
            varint((id << 1) ^ (id >> 31));
        }
        lastField[depth] = (short) id;
    }

    void boolField(int id, boolean value) {
        field(id, value ? BOOL_TRUE : BOOL_FALSE);
    }

    void listBegin(byte elementType, int size) {
        if (size < 15) {
            out.write(size << 4 | elementType);
        } else {
            out.write(0xF0 | elementType);
            varint(size);
        }
    }

    void i32(int v) {
        varint((v << 1) ^ (v >> 31));
    }

    void i64(long v) {
        long z = (v << 1) ^ (v >> 63);
        while ((z & ~0x7FL) != 0) {
            out.write((int) (z & 0x7F) | 0x80);
            z >>>= 7;
        }
        out.write((int) z);
    }

    void dbl(double d) {
        long bits = Double.doubleToLongBits(d);
        for (int i = 0; i < 8; i++) {
            out.write((int) (bits >>> (8 * i)));
        }
    }

    void string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        varint(b.length);
        out.write(b, 0, b.length);
    }

    private void varint(int v) {
        while ((v & ~0x7F) != 0) {
            out.write(v & 0x7F | 0x80);
            v >>>= 7;
        }
        out.write(v);
    }

    int size() {
        return out.size();
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }

    void writeRaw(byte[] b) {
        out.write(b, 0, b.length);
    }
}
