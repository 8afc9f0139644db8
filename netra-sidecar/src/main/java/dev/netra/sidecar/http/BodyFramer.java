package dev.netra.sidecar.http;

import java.nio.ByteBuffer;

/**
 * Finds where a message body ends (RFC 9112 section 6): Content-Length, chunked (extensions and
 * trailers included) or until the connection closes. It only advances through the bytes; they
 * are forwarded exactly as received by the caller.
 */
final class BodyFramer {
    private static final int MAX_CHUNK_LINE = 4096;
    private static final int MAX_TRAILERS = 64 * 1024;

    enum Mode { NONE, LENGTH, CHUNKED, UNTIL_CLOSE }

    private enum Chunk { SIZE, EXT, SIZE_LF, DATA, DATA_CR, DATA_LF, TRAILER_START, TRAILER, TRAILER_END_LF }

    private Mode mode = Mode.NONE;
    private Chunk chunk;
    private long remaining;
    private long chunkSize;
    private int sizeDigits;
    private int lineBytes;
    private int trailerBytes;
    private long bodyBytes;
    private String error;

    void start(Mode mode, long contentLength) {
        this.mode = mode;
        this.remaining = contentLength;
        this.chunk = Chunk.SIZE;
        this.chunkSize = 0;
        this.sizeDigits = 0;
        this.lineBytes = 0;
        this.trailerBytes = 0;
        this.bodyBytes = 0;
        this.error = null;
    }

    /** True once the body has ended (at once for NONE and a zero length). */
    boolean done() {
        return switch (mode) {
            case NONE -> true;
            case LENGTH -> remaining == 0;
            case CHUNKED -> chunk == null;
            case UNTIL_CLOSE -> false;
        };
    }

    /** Why the chunked framing is broken, or null. */
    String error() {
        return error;
    }

    /** Body bytes so far (chunk data only, for chunked). */
    long bodyBytes() {
        return bodyBytes;
    }

    /**
     * Body bytes from here that may pass without being looked at: the rest of a known length or
     * of the current chunk's data, or everything until the connection closes.
     */
    long passable() {
        return switch (mode) {
            case NONE -> 0;
            case LENGTH -> remaining;
            case CHUNKED -> chunk == Chunk.DATA ? remaining : 0;
            case UNTIL_CLOSE -> Long.MAX_VALUE;
        };
    }

    /** Counts {@code n} bytes, at most {@link #passable}, that went past without {@link #advance}. */
    void passed(long n) {
        if (n < 0 || n > passable()) {
            throw new IllegalArgumentException(n + " bytes passed of " + passable());
        }
        bodyBytes += n;
        if (mode == Mode.LENGTH || mode == Mode.CHUNKED) {
            remaining -= n;
            if (mode == Mode.CHUNKED && remaining == 0) {
                chunk = Chunk.DATA_CR;
            }
        }
    }

    /**
     * Advances {@code in}'s position over the body bytes it holds, stopping at the end of the
     * body, the end of the input, or a framing error.
     */
    void advance(ByteBuffer in) {
        switch (mode) {
            case NONE -> { }
            case LENGTH -> {
                int n = (int) Math.min(remaining, in.remaining());
                in.position(in.position() + n);
                remaining -= n;
                bodyBytes += n;
            }
            case UNTIL_CLOSE -> {
                bodyBytes += in.remaining();
                in.position(in.limit());
            }
            case CHUNKED -> chunked(in);
        }
    }

    private void chunked(ByteBuffer in) {
        while (chunk != null && error == null && in.hasRemaining()) {
            if (chunk == Chunk.DATA) {
                int n = (int) Math.min(remaining, in.remaining());
                in.position(in.position() + n);
                remaining -= n;
                bodyBytes += n;
                if (remaining == 0) {
                    chunk = Chunk.DATA_CR;
                }
                continue;
            }
            byte b = in.get();
            switch (chunk) {
                case SIZE -> {
                    int digit = hex(b);
                    if (digit >= 0) {
                        if (++sizeDigits > 15) {
                            error = "chunk size too large";
                        }
                        chunkSize = chunkSize * 16 + digit;
                    } else if (sizeDigits == 0) {
                        error = "bad chunk size";
                    } else if (b == ';' || b == ' ' || b == '\t') {
                        chunk = Chunk.EXT;
                    } else if (b == '\r') {
                        chunk = Chunk.SIZE_LF;
                    } else if (b == '\n') {
                        sizeLineDone();
                    } else {
                        error = "bad chunk size";
                    }
                }
                case EXT -> {
                    if (++lineBytes > MAX_CHUNK_LINE) {
                        error = "chunk extension too long";
                    } else if (b == '\n') {
                        sizeLineDone();
                    } else if (b != '\t' && (b >= 0 && b < 0x20 && b != '\r' || b == 0x7f)) {
                        error = "bad chunk extension";
                    }
                }
                case SIZE_LF -> {
                    if (b == '\n') {
                        sizeLineDone();
                    } else {
                        error = "bad chunk line end";
                    }
                }
                case DATA_CR -> {
                    if (b == '\r') {
                        chunk = Chunk.DATA_LF;
                    } else if (b == '\n') {
                        nextChunk();
                    } else {
                        error = "chunk data longer than its size";
                    }
                }
                case DATA_LF -> {
                    if (b == '\n') {
                        nextChunk();
                    } else {
                        error = "bad chunk data end";
                    }
                }
                case TRAILER_START -> {
                    if (b == '\r') {
                        chunk = Chunk.TRAILER_END_LF;
                    } else if (b == '\n') {
                        chunk = null;
                    } else {
                        chunk = Chunk.TRAILER;
                        trailer();
                    }
                }
                case TRAILER -> {
                    trailer();
                    if (b == '\n') {
                        chunk = Chunk.TRAILER_START;
                    }
                }
                case TRAILER_END_LF -> {
                    if (b == '\n') {
                        chunk = null;
                    } else {
                        // a trailer line starting with CR that is not the final CRLF
                        chunk = Chunk.TRAILER;
                        trailer();
                    }
                }
                default -> throw new IllegalStateException(chunk.name());
            }
        }
    }

    private void trailer() {
        if (++trailerBytes > MAX_TRAILERS) {
            error = "trailers too long";
        }
    }

    private void sizeLineDone() {
        lineBytes = 0;
        if (chunkSize == 0) {
            chunk = Chunk.TRAILER_START;
        } else {
            remaining = chunkSize;
            chunk = Chunk.DATA;
        }
    }

    private void nextChunk() {
        chunk = Chunk.SIZE;
        chunkSize = 0;
        sizeDigits = 0;
    }

    private static int hex(byte b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'a' && b <= 'f') {
            return b - 'a' + 10;
        }
        if (b >= 'A' && b <= 'F') {
            return b - 'A' + 10;
        }
        return -1;
    }
}
