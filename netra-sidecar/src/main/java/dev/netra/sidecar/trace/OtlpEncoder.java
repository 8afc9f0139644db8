package dev.netra.sidecar.trace;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;

import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Spans as an OTLP {@code ExportTraceServiceRequest} in protobuf (opentelemetry-proto's
 * trace/v1/trace.proto, collector/trace/v1/trace_service.proto), written straight into one
 * reused byte array on the export thread: no marshaler objects per span, ids written from their
 * hex form, strings encoded in place. A nested message's length is written after its content:
 * one byte is reserved, and the content shifts right when the length needs more. Consecutive
 * spans of the same resource and scope share one ResourceSpans/ScopeSpans (netra's always do).
 * Not thread-safe: one per export thread.
 */
final class OtlpEncoder {
    // ExportTraceServiceRequest
    private static final int REQUEST_RESOURCE_SPANS = 1;
    // ResourceSpans
    private static final int RESOURCE = 1, SCOPE_SPANS = 2, RESOURCE_SCHEMA_URL = 3;
    // Resource
    private static final int RESOURCE_ATTRIBUTES = 1;
    // ScopeSpans
    private static final int SCOPE = 1, SPANS = 2, SCOPE_SCHEMA_URL = 3;
    // InstrumentationScope
    private static final int SCOPE_NAME = 1, SCOPE_VERSION = 2, SCOPE_ATTRIBUTES = 3;
    // Span
    private static final int TRACE_ID = 1, SPAN_ID = 2, TRACE_STATE = 3, PARENT_SPAN_ID = 4, NAME = 5, KIND = 6,
            START = 7, END = 8, ATTRIBUTES = 9, DROPPED_ATTRIBUTES = 10, STATUS = 15, FLAGS = 16;
    // Status
    private static final int STATUS_MESSAGE = 2, STATUS_CODE = 3;
    // KeyValue, AnyValue, ArrayValue
    private static final int KEY = 1, VALUE = 2;
    private static final int STRING_VALUE = 1, BOOL_VALUE = 2, INT_VALUE = 3, DOUBLE_VALUE = 4, ARRAY_VALUE = 5;
    private static final int ARRAY_VALUES = 1;
    /** Span flags: the context's W3C trace flags, and whether the parent is known to be remote. */
    private static final int FLAGS_HAS_IS_REMOTE = 0x100, FLAGS_IS_REMOTE = 0x200;

    private static final int VARINT = 0, FIXED64 = 1, LEN = 2, FIXED32 = 5;

    private static final int INITIAL = 64 * 1024;
    /** A batch of 512 typical spans is ~300 KB. */
    private static final int MAX_KEPT = 1 << 20;
    private byte[] buf = new byte[INITIAL];
    /**
     * Attribute keys as their encoded KEY field, by identity: netra's keys are constants, so every
     * span repeats the same few dozen. Bounded in entries and bytes; a key past the bound is
     * encoded each time.
     */
    private final Map<AttributeKey<?>, byte[]> keys = new IdentityHashMap<>();
    private static final int MAX_KEYS = 256, MAX_KEY_BYTES = 128;
    private int pos;

    /** Encodes {@code spans}; the bytes are {@link #bytes()}[0, {@link #length()}) until the next call. */
    void encode(List<? extends SpanData> spans) {
        pos = 0;
        int i = 0;
        while (i < spans.size()) {
            Resource resource = spans.get(i).getResource();
            int resourceSpans = begin(REQUEST_RESOURCE_SPANS);
            int r = begin(RESOURCE);
            attributes(RESOURCE_ATTRIBUTES, resource.getAttributes());
            end(r);
            while (i < spans.size() && spans.get(i).getResource() == resource) {
                InstrumentationScopeInfo scope = spans.get(i).getInstrumentationScopeInfo();
                int scopeSpans = begin(SCOPE_SPANS);
                int s = begin(SCOPE);
                string(SCOPE_NAME, scope.getName());
                string(SCOPE_VERSION, scope.getVersion());
                attributes(SCOPE_ATTRIBUTES, scope.getAttributes());
                end(s);
                while (i < spans.size() && spans.get(i).getResource() == resource
                        && spans.get(i).getInstrumentationScopeInfo() == scope) {
                    span(spans.get(i++));
                }
                string(SCOPE_SCHEMA_URL, scope.getSchemaUrl());
                end(scopeSpans);
            }
            string(RESOURCE_SCHEMA_URL, resource.getSchemaUrl());
            end(resourceSpans);
        }
    }

    byte[] bytes() {
        return buf;
    }

    /** Lets a buffer that a batch of large spans grew go, once that batch is sent. */
    void trim() {
        if (buf.length > MAX_KEPT) {
            buf = new byte[INITIAL];
        }
    }

    int length() {
        return pos;
    }

    private void span(SpanData span) {
        int m = begin(SPANS);
        SpanContext c = span.getSpanContext();
        hexBytes(TRACE_ID, c.getTraceId());
        hexBytes(SPAN_ID, c.getSpanId());
        String traceState = c.getTraceState().isEmpty() ? null : w3c(c.getTraceState());
        string(TRACE_STATE, traceState);
        SpanContext parent = span.getParentSpanContext();
        if (parent.isValid()) {
            hexBytes(PARENT_SPAN_ID, parent.getSpanId());
        }
        string(NAME, span.getName());
        tag(KIND, VARINT);
        varint(span.getKind().ordinal() + 1); // INTERNAL=1, SERVER, CLIENT, PRODUCER, CONSUMER
        tag(START, FIXED64);
        fixed64(span.getStartEpochNanos());
        tag(END, FIXED64);
        fixed64(span.getEndEpochNanos());
        Attributes attributes = span.getAttributes();
        attributes(ATTRIBUTES, attributes);
        int dropped = span.getTotalAttributeCount() - attributes.size();
        if (dropped > 0) {
            tag(DROPPED_ATTRIBUTES, VARINT);
            varint(dropped);
        }
        StatusData status = span.getStatus();
        int st = begin(STATUS);
        string(STATUS_MESSAGE, status.getDescription().isEmpty() ? null : status.getDescription());
        int code = switch (status.getStatusCode()) {
            case UNSET -> 0;
            case OK -> 1;
            case ERROR -> 2;
        };
        if (code != 0) {
            tag(STATUS_CODE, VARINT);
            varint(code);
        }
        end(st);
        tag(FLAGS, FIXED32);
        fixed32((c.getTraceFlags().asByte() & 0xff) | FLAGS_HAS_IS_REMOTE | (parent.isRemote() ? FLAGS_IS_REMOTE : 0));
        end(m);
    }

    private static String w3c(io.opentelemetry.api.trace.TraceState state) {
        StringBuilder b = new StringBuilder();
        state.forEach((k, v) -> b.append(b.isEmpty() ? "" : ",").append(k).append('=').append(v));
        return b.toString();
    }

    private void attributes(int field, Attributes attributes) {
        attributes.forEach((k, v) -> keyValue(field, k, v));
    }

    private void keyValue(int field, AttributeKey<?> key, Object value) {
        int kv = begin(field);
        byte[] encodedKey = keys.get(key);
        if (encodedKey == null) {
            int at = pos;
            string(KEY, key.getKey());
            if (keys.size() < MAX_KEYS && pos - at <= MAX_KEY_BYTES) {
                keys.put(key, Arrays.copyOfRange(buf, at, pos));
            }
        } else {
            ensure(encodedKey.length);
            System.arraycopy(encodedKey, 0, buf, pos, encodedKey.length);
            pos += encodedKey.length;
        }
        int any = begin(VALUE);
        switch (key.getType()) {
            case STRING -> stringAlways(STRING_VALUE, (String) value);
            case BOOLEAN -> {
                tag(BOOL_VALUE, VARINT);
                varint((Boolean) value ? 1 : 0);
            }
            case LONG -> {
                tag(INT_VALUE, VARINT);
                varint((Long) value);
            }
            case DOUBLE -> {
                tag(DOUBLE_VALUE, FIXED64);
                fixed64(Double.doubleToRawLongBits((Double) value));
            }
            default -> { // the *_ARRAY types
                int array = begin(ARRAY_VALUE);
                for (Object item : (List<?>) value) {
                    int element = begin(ARRAY_VALUES);
                    switch (item) {
                        case String s -> stringAlways(STRING_VALUE, s);
                        case Boolean b -> {
                            tag(BOOL_VALUE, VARINT);
                            varint(b ? 1 : 0);
                        }
                        case Long l -> {
                            tag(INT_VALUE, VARINT);
                            varint(l);
                        }
                        case Double d -> {
                            tag(DOUBLE_VALUE, FIXED64);
                            fixed64(Double.doubleToRawLongBits(d));
                        }
                        default -> stringAlways(STRING_VALUE, String.valueOf(item));
                    }
                    end(element);
                }
                end(array);
            }
        }
        end(any);
        end(kv);
    }

    // --- protobuf wire format ---

    /** Writes the tag and reserves one length byte; returns where the content starts. */
    private int begin(int field) {
        tag(field, LEN);
        ensure(1);
        buf[pos++] = 0;
        return pos;
    }

    /** Writes the length of the message begun at {@code start}, moving its content when the length needs more than a byte. */
    private void end(int start) {
        int length = pos - start;
        int size = varintSize(length);
        if (size > 1) {
            ensure(size - 1);
            System.arraycopy(buf, start, buf, start + size - 1, length);
            pos += size - 1;
        }
        int at = start - 1;
        long v = length;
        while ((v & ~0x7FL) != 0) {
            buf[at++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[at] = (byte) v;
    }

    private void tag(int field, int wireType) {
        varint((long) field << 3 | wireType);
    }

    private void varint(long v) {
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[pos++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[pos++] = (byte) v;
    }

    private static int varintSize(long v) {
        int n = 1;
        while ((v & ~0x7FL) != 0) {
            v >>>= 7;
            n++;
        }
        return n;
    }

    private void fixed64(long v) {
        ensure(8);
        for (int i = 0; i < 8; i++) {
            buf[pos++] = (byte) (v >>> (8 * i));
        }
    }

    private void fixed32(int v) {
        ensure(4);
        for (int i = 0; i < 4; i++) {
            buf[pos++] = (byte) (v >>> (8 * i));
        }
    }

    /** A string field, left out when null or empty (proto3's default). */
    private void string(int field, String s) {
        if (s != null && !s.isEmpty()) {
            stringAlways(field, s);
        }
    }

    /** A string field even when empty: a value inside AnyValue must be present to say its type. */
    private void stringAlways(int field, String s) {
        tag(field, LEN);
        if (ascii(s)) {
            return;
        }
        int n = utf8Length(s);
        varint(n);
        ensure(n);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                buf[pos++] = (byte) c;
            } else if (c < 0x800) {
                buf[pos++] = (byte) (0xC0 | c >> 6);
                buf[pos++] = (byte) (0x80 | c & 0x3F);
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                buf[pos++] = (byte) (0xF0 | cp >> 18);
                buf[pos++] = (byte) (0x80 | cp >> 12 & 0x3F);
                buf[pos++] = (byte) (0x80 | cp >> 6 & 0x3F);
                buf[pos++] = (byte) (0x80 | cp & 0x3F);
            } else if (Character.isSurrogate(c)) {
                buf[pos++] = '?'; // a lone surrogate, as String.getBytes(UTF_8) writes it
            } else {
                buf[pos++] = (byte) (0xE0 | c >> 12);
                buf[pos++] = (byte) (0x80 | c >> 6 & 0x3F);
                buf[pos++] = (byte) (0x80 | c & 0x3F);
            }
        }
    }

    /**
     * The common case in one pass: a string under 128 characters, all ASCII, written with its
     * one-byte length. False, with nothing written, for any other string.
     */
    private boolean ascii(String s) {
        int n = s.length();
        if (n >= 0x80) {
            return false;
        }
        ensure(1 + n);
        byte[] b = buf;
        int at = pos + 1;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                return false;
            }
            b[at + i] = (byte) c;
        }
        b[pos] = (byte) n;
        pos = at + n;
        return true;
    }

    private static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                n++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /** A bytes field from an id's lower-case hex form (trace and span ids). */
    private void hexBytes(int field, String hex) {
        tag(field, LEN);
        int n = hex.length() / 2;
        varint(n);
        ensure(n);
        for (int i = 0; i < n; i++) {
            buf[pos++] = (byte) (Character.digit(hex.charAt(2 * i), 16) << 4 | Character.digit(hex.charAt(2 * i + 1), 16));
        }
    }

    private void ensure(int more) {
        if (pos + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
        }
    }
}
