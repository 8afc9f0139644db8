package dev.netra.sidecar.http2;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.netra.sidecar.http.Exchange;
import dev.netra.sidecar.http.HeaderEditor.HeaderName;
import dev.netra.sidecar.http.HeaderEdits;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http2.hpack.HpackEncoder;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Whatever the frames (real header blocks from Jetty's encoder, size updates, DATA, any other
 * frame, or garbage) and however they are split, the HTTP/2 framers without edits write exactly
 * what they read, and with edits never throw. Runs its regression inputs as a plain test;
 * scripts/fuzz.sh fuzzes.
 */
class Http2FuzzTest {
    private static final HeaderName TRACEPARENT = HeaderName.of("traceparent");

    @FuzzTest(maxDuration = "60s")
    void framersAreTheIdentityOnAnyFrames(FuzzedDataProvider data) throws Exception {
        boolean edit = data.consumeBoolean();
        HeaderEdits edits = edit ? (head, e, editor) -> editor.set(TRACEPARENT, "00-" + "1".repeat(32) + "-" + "2".repeat(16) + "-01")
                : (head, e, editor) -> { };
        Http2FramerTest.Pair p = new Http2FramerTest.Pair(edits, data.consumeInt(1024, 8192));
        HpackEncoder[] encoders = {H2.encoder(), H2.encoder()};
        ByteArrayOutputStream[] sent = {new ByteArrayOutputStream(), new ByteArrayOutputStream()};
        sent[0].writeBytes(H2.PREFACE);
        Random splits = new Random(data.consumeLong());
        while (data.remainingBytes() > 0) {
            int side = data.consumeInt(0, 1);
            byte[] bytes = switch (data.consumeInt(0, 4)) {
                case 0 -> headers(data, encoders[side], side == 0);
                case 1 -> H2.frame(H2.DATA, data.consumeInt(0, 9), data.consumeInt(0, 9), data.consumeBytes(data.consumeInt(0, 300)));
                case 2 -> H2.frame(data.consumeInt(0, 12), data.consumeInt(0, 255), data.consumeInt(0, 9),
                        data.consumeBytes(data.consumeInt(0, 64)));
                case 3 -> {
                    encoders[side].setTableCapacity(data.consumeInt(0, 4096)); // the next block starts with a size update
                    yield new byte[0];
                }
                default -> data.consumeBytes(data.consumeInt(1, 40));
            };
            sent[side].writeBytes(bytes);
        }
        p.client(sent[0].toByteArray(), splits);
        p.server(sent[1].toByteArray(), splits);
        p.end();
        if (!edit) {
            assertArrayEquals(sent[0].toByteArray(), p.toUpstream.toByteArray());
            assertArrayEquals(sent[1].toByteArray(), p.toClient.toByteArray());
        }
        for (Exchange e : p.exchanges) {
            e.toString(); // every exchange reported reads back
        }
    }

    private static byte[] headers(FuzzedDataProvider data, HpackEncoder encoder, boolean request) throws IOException {
        HttpFields.Mutable fields = HttpFields.build();
        int n = data.consumeInt(0, 4);
        for (int i = 0; i < n; i++) {
            String name = data.consumeString(12).toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9-]", "");
            fields.add(name.isEmpty() ? "x" : name, data.consumeString(40).replaceAll("[^ -~]", ""));
        }
        int stream = data.consumeInt(1, 9);
        int flags = H2.END_HEADERS | (data.consumeBoolean() ? H2.END_STREAM : 0);
        try {
            byte[] block = H2.encode(encoder, request ? H2.request(data.consumeBoolean() ? "GET" : "POST", "svc", "/p", fields)
                    : data.consumeBoolean() ? H2.response(data.consumeInt(100, 599), fields) : H2.trailers(fields));
            return H2.frame(H2.HEADERS, flags, stream, block);
        } catch (Exception e) {
            return new byte[0]; // a list the encoder refuses is no input
        }
    }
}
