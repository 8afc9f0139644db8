package dev.netra.sidecar.log;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.netra.sidecar.config.LogLevel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.tinylog.Level;
import org.tinylog.core.LogEntry;
import org.tinylog.runtime.RuntimeProvider;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoggingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @AfterEach
    void backToInfo() {
        LogGate.set(LogLevel.INFO);
    }

    @Test
    void theGateDecidesWhichLevelsPass() {
        GatedLoggingProvider provider = new GatedLoggingProvider();
        LogGate.set(LogLevel.INFO);
        assertFalse(LogGate.debug());
        assertFalse(provider.isEnabled(1, null, Level.DEBUG));
        assertTrue(provider.isEnabled(1, null, Level.INFO) == provider.isEnabled(1, null, Level.ERROR));
        LogGate.set(LogLevel.WARNING);
        assertFalse(LogGate.allows(Level.INFO));
        assertTrue(LogGate.allows(Level.WARN) && LogGate.allows(Level.ERROR));
        LogGate.set(LogLevel.DEBUG);
        assertTrue(LogGate.debug() && LogGate.allows(Level.DEBUG));
        LogGate.set(LogLevel.FATAL);
        assertFalse(LogGate.allows(Level.WARN));
        assertTrue(LogGate.allows(Level.ERROR));
    }

    @Test
    void aTimedChangeGoesBackUnlessChangedAgain() throws Exception {
        LogGate.set(LogLevel.WARNING);
        LogGate.set(LogLevel.DEBUG, Duration.ofMillis(50));
        assertEquals(LogLevel.DEBUG, LogGate.level());
        awaitLevel(LogLevel.WARNING);

        Thread stale = LogGate.set(LogLevel.DEBUG, Duration.ofMillis(50));
        LogGate.set(LogLevel.ERROR); // a later change wins over the pending revert
        Thread revert = LogGate.set(LogLevel.INFO, Duration.ofMillis(100)); // and reverts to ERROR itself
        revert.join(Duration.ofSeconds(5));
        assertEquals(LogLevel.ERROR, LogGate.level());
        stale.join(Duration.ofSeconds(5)); // the first revert (to WARNING) had its time too
        assertFalse(stale.isAlive() || revert.isAlive());
        assertEquals(LogLevel.ERROR, LogGate.level(), "and did not apply");
    }

    private static void awaitLevel(LogLevel expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (LogGate.level() != expected && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(expected, LogGate.level());
    }

    @Test
    void aJsonLineHasTheFieldsAndTheConnectionId() throws IOException {
        JsonNode line = write(entry(Level.INFO, "conn=42 from 10.0.0.7:5000 refused: a \"loop\"\n", null));
        assertEquals("info", line.get("level").asText());
        assertEquals("shop", line.get("service").asText());
        assertEquals(42, line.get("conn").asLong());
        assertEquals("from 10.0.0.7:5000 refused: a \"loop\"\n", line.get("message").asText());
        assertTrue(line.get("time").asText().matches("20[0-9-]{8}T[0-9:.]+Z"), line.get("time").asText());
        assertFalse(line.has("error"));

        JsonNode plain = write(entry(Level.WARN, "conn=x is not an id; café", null));
        assertFalse(plain.has("conn"));
        assertEquals("conn=x is not an id; café", plain.get("message").asText());
        assertEquals("warn", plain.get("level").asText());
    }

    @Test
    void anErrorCarriesTheExceptionAndABoundedStack() throws IOException {
        RuntimeException deep = deep(2000);
        JsonNode line = write(entry(Level.ERROR, "conn=7 failed: bug", deep));
        assertEquals(7, line.get("conn").asLong());
        assertEquals("java.lang.IllegalStateException: at the bottom", line.get("error").asText());
        assertTrue(line.get("stack").asText().startsWith("java.lang.IllegalStateException: at the bottom"));
        assertTrue(line.get("stack").asText().length() <= JsonLogWriter.MAX_STACK);
    }

    private static RuntimeException deep(int frames) {
        return frames == 0 ? new IllegalStateException("at the bottom") : deep(frames - 1);
    }

    private static LogEntry entry(Level level, String message, Throwable error) {
        return new LogEntry(RuntimeProvider.createTimestamp(), null, Map.of(), null, null, null, -1, null, level,
                message, error);
    }

    /** Writes one entry and parses what came out: exactly one line of JSON. */
    private static JsonNode write(LogEntry entry) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new JsonLogWriter("shop", new PrintStream(bytes, true, StandardCharsets.UTF_8)).write(entry);
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.endsWith("\n") && out.indexOf('\n') == out.length() - 1, "one line: " + out);
        assertTrue(out.chars().allMatch(c -> c < 0x7f), "ASCII only: " + out);
        return JSON.readTree(out);
    }
}
