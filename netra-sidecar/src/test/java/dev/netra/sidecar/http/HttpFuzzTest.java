package dev.netra.sidecar.http;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.netra.sidecar.Direction;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Whatever the bytes and however they are split, the framers write exactly what they read, in
 * order, and never throw. Runs its regression inputs as a plain test; scripts/fuzz.sh fuzzes.
 */
class HttpFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void framersAreTheIdentityOnAnyInput(FuzzedDataProvider data) throws IOException {
        boolean detect = data.consumeBoolean();
        int maxHead = data.consumeInt(1024, 4096);
        Harness h = new Harness(Direction.OUTBOUND, (head, e, editor) -> { }, detect, maxHead);
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        ByteArrayOutputStream server = new ByteArrayOutputStream();
        while (data.remainingBytes() > 0) {
            boolean fromClient = data.consumeBoolean();
            byte[] chunk = data.consumeBytes(data.consumeInt(1, 512));
            if (fromClient) {
                client.writeBytes(chunk);
                h.client(chunk);
            } else {
                server.writeBytes(chunk);
                h.server(chunk);
            }
        }
        h.endOfStreams();
        h.session.close(Exchange.End.CLIENT_GONE);
        assertArrayEquals(client.toByteArray(), h.toUpstream.toByteArray());
        assertArrayEquals(server.toByteArray(), h.toClient.toByteArray());
    }
}
