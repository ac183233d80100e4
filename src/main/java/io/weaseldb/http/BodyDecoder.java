package io.weaseldb.http;

import static io.weaseldb.http.HttpChars.HEX;
import static io.weaseldb.http.HttpChars.TCHAR;

/**
 * Incremental request-body decoder for the framing the head declared: none, Content-Length, or chunked
 * (RFC 9112 §7.1: sizes in hex without sign or whitespace, extensions as token[=token] — quoted-string
 * values are refused — CRLF only, trailers parsed and discarded within the header limit).
 *
 * <p>Contract: {@link #reset(RequestHead)} after a head completes; then {@link #decode} with whatever bytes
 * are available. It hands decoded body slices to the sink and returns how many input bytes it consumed;
 * it stops exactly at the end of the body, so bytes after it (a pipelined request) are left unconsumed.
 * Decoded size over {@link HttpLimits#maxBodyBytes()} → 413 as soon as it is crossed. Allocates nothing.
 *
 * <p>Every byte counted as consumed has been fully processed (only counters are kept between calls), so the
 * caller may move or drop consumed bytes between calls.
 *
 * <p>Chunked rules (strict; anything else → 400): chunk-size is 1 to 16 HEXDIG — no sign, "0x", or
 * whitespace; a declared size that would take the body over the limit → 413 while its digits arrive.
 * chunk-ext is {@code *( BWS ";" BWS name [ BWS "=" BWS value ] )} with name and value tokens; quoted-string
 * values are refused (400) rather than parsed, and a chunk line's extensions may not exceed
 * {@value #MAX_EXTENSION_BYTES} bytes. Lines end with CRLF only; chunk data must be followed by exactly CRLF.
 * The trailer section follows the header-field rules and limits ({@code maxHeaderBytes} → 431) and is
 * discarded.
 */
public final class BodyDecoder {
    /** Extensions carry no meaning for us; bounding them keeps a chunk line from being an endless stream. */
    static final int MAX_EXTENSION_BYTES = 256;
    private static final int MAX_SIZE_DIGITS = 16;

    private static final int DONE = 0, LENGTH = 1,
            SIZE_FIRST = 2,      // first hex digit of a chunk size
            SIZE = 3,            // more hex digits, or what follows the size
            BWS_SEMI = 4,        // whitespace after size or ext value: only ';' may follow
            EXT_NAME_BWS = 5,    // after ';': whitespace, then an extension name
            EXT_NAME = 6,
            BWS_SEMI_OR_EQ = 7,  // whitespace after an ext name: ';' or '=' may follow
            EXT_VALUE_BWS = 8,   // after '=': whitespace, then a token value
            EXT_VALUE = 9,
            SIZE_LF = 10,        // after the CR ending the chunk-size line
            DATA = 11,
            DATA_CR = 12,
            DATA_LF = 13,
            TRAILERS = 14;

    private final HttpLimits limits;
    private final FieldScanner trailers;

    private int state = DONE;
    private long remaining;     // bytes left of the Content-Length body or of the current chunk
    private long delivered;
    private int sizeDigits;
    private int extensionBytes;

    public BodyDecoder(HttpLimits limits) {
        this.limits = limits;
        // Trailer bytes are not kept in place between calls, so no trimming look-back; values are discarded anyway.
        this.trailers = new FieldScanner(limits.maxHeaderBytes(), limits.maxHeaderCount(), false);
    }

    public void reset(RequestHead head) {
        delivered = 0;
        remaining = 0;
        if (head.chunked()) {
            state = SIZE_FIRST;
            trailers.reset();
        } else if (head.contentLength() > 0) {
            if (head.contentLength() > limits.maxBodyBytes()) { // the parser already refused it; never trust a caller's head
                throw new IllegalArgumentException("Content-Length over the body limit");
            }
            state = LENGTH;
            remaining = head.contentLength();
        } else {
            state = DONE;
        }
    }

    /** True when the whole body (and, if chunked, the trailer section) has been consumed. */
    public boolean isDone() {
        return state == DONE;
    }

    /** Decoded body bytes delivered so far. */
    public long bodyBytes() {
        return delivered;
    }

    public int decode(byte[] buf, int from, int to, BodySink sink) throws HttpException {
        if (from < 0 || from > to || to > buf.length) throw new IndexOutOfBoundsException("from " + from + " to " + to);
        int p = from;
        while (p < to) {
            switch (state) {
                case DONE -> {
                    return p - from;
                }
                case LENGTH -> {
                    int n = (int) Math.min(remaining, to - p);
                    sink.accept(buf, p, n);
                    p += n;
                    delivered += n;
                    remaining -= n;
                    if (remaining == 0) state = DONE;
                }
                case DATA -> {
                    int n = (int) Math.min(remaining, to - p);
                    sink.accept(buf, p, n);
                    p += n;
                    delivered += n;
                    remaining -= n;
                    if (remaining == 0) state = DATA_CR;
                }
                case SIZE_FIRST -> {
                    byte b = buf[p];
                    if (!HttpChars.is(b, HEX)) {
                        throw HttpException.badRequest("chunk size must start with a hex digit, found " + HttpChars.describe(b));
                    }
                    remaining = 0;
                    sizeDigits = 0;
                    extensionBytes = 0;
                    state = SIZE; // SIZE consumes this digit
                }
                case SIZE -> {
                    p = size(buf, p, to);
                }
                case SIZE_LF -> {
                    if (buf[p++] != '\n') throw HttpException.badRequest("CR not followed by LF after chunk size");
                    state = remaining == 0 ? TRAILERS : DATA;
                }
                case DATA_CR -> {
                    if (buf[p++] != '\r') throw HttpException.badRequest("chunk data not followed by CRLF");
                    state = DATA_LF;
                }
                case DATA_LF -> {
                    if (buf[p++] != '\n') throw HttpException.badRequest("chunk data not followed by CRLF");
                    state = SIZE_FIRST;
                }
                case TRAILERS -> {
                    p = trailers.scan(buf, p, to);
                    if (trailers.event == FieldScanner.END) state = DONE;
                }
                default -> p = extension(buf, p);
            }
        }
        return p - from;
    }

    /** Hex digits of a chunk size, then the byte that ends them. */
    private int size(byte[] buf, int p, int to) throws HttpException {
        long budget = limits.maxBodyBytes() - delivered;
        long size = remaining;
        while (p < to && HttpChars.is(buf[p], HEX)) {
            if (++sizeDigits > MAX_SIZE_DIGITS) throw HttpException.badRequest("chunk size longer than " + MAX_SIZE_DIGITS + " hex digits");
            if (size > (Long.MAX_VALUE >> 4)) throw HttpException.badRequest("chunk size overflows");
            size = (size << 4) | HttpChars.hexValue(buf[p]);
            if (size > budget) { // more digits only make it larger: refuse before any of its data arrives
                throw HttpException.payloadTooLarge("chunked body exceeds " + limits.maxBodyBytes() + " bytes");
            }
            p++;
        }
        remaining = size;
        if (p == to) return p;
        byte b = buf[p++];
        if (b == '\r') state = SIZE_LF;
        else if (b == ';') state = EXT_NAME_BWS;
        else if (b == ' ' || b == '\t') state = BWS_SEMI;
        else throw HttpException.badRequest("invalid byte " + HttpChars.describe(b) + " after chunk size");
        if (state != SIZE_LF) extensionBytes = 1;
        return p;
    }

    /** One byte of the chunk-extension grammar (rare on the wire, so byte-at-a-time is fine). */
    private int extension(byte[] buf, int p) throws HttpException {
        if (++extensionBytes > MAX_EXTENSION_BYTES) {
            throw HttpException.badRequest("chunk extensions longer than " + MAX_EXTENSION_BYTES + " bytes");
        }
        byte b = buf[p];
        boolean ws = b == ' ' || b == '\t';
        boolean tchar = HttpChars.is(b, TCHAR);
        switch (state) {
            case BWS_SEMI -> {
                if (b == ';') state = EXT_NAME_BWS;
                else if (!ws) throw badExtension(b);
            }
            case EXT_NAME_BWS -> {
                if (tchar) state = EXT_NAME;
                else if (!ws) throw badExtension(b);
            }
            case EXT_NAME -> {
                if (b == ';') state = EXT_NAME_BWS;
                else if (b == '=') state = EXT_VALUE_BWS;
                else if (b == '\r') state = SIZE_LF;
                else if (ws) state = BWS_SEMI_OR_EQ;
                else if (!tchar) throw badExtension(b);
            }
            case BWS_SEMI_OR_EQ -> {
                if (b == ';') state = EXT_NAME_BWS;
                else if (b == '=') state = EXT_VALUE_BWS;
                else if (!ws) throw badExtension(b);
            }
            case EXT_VALUE_BWS -> {
                if (tchar) state = EXT_VALUE;
                else if (b == '"') throw HttpException.badRequest("quoted-string chunk extension values are not accepted");
                else if (!ws) throw badExtension(b);
            }
            case EXT_VALUE -> {
                if (b == ';') state = EXT_NAME_BWS;
                else if (b == '\r') state = SIZE_LF;
                else if (ws) state = BWS_SEMI;
                else if (!tchar) throw badExtension(b);
            }
            default -> throw new IllegalStateException("state " + state);
        }
        return p + 1;
    }

    private static HttpException badExtension(byte b) {
        return HttpException.badRequest((b == '\n' ? "bare LF" : "invalid byte " + HttpChars.describe(b)) + " in chunk extension");
    }
}
