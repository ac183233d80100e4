package io.weaseldb.http;

import static io.weaseldb.http.HttpChars.FIELD_VALUE;
import static io.weaseldb.http.HttpChars.TCHAR;

/**
 * Incremental scanner for a field section (RFC 9112 §5: {@code *( field-line CRLF ) CRLF}), shared by the
 * request head and the chunked trailer section so both obey exactly the same rules and limits.
 *
 * <p>{@link #scan} consumes bytes until one field line is complete ({@link #FIELD}: the offsets of its
 * name and trimmed value are set), the empty line ending the section has been consumed ({@link #END}), or
 * the input is exhausted ({@link #MORE}). Everything before the returned position is consumed for good,
 * so a caller that does not keep its bytes in place (the body decoder) only loses the offsets, which it
 * does not use.
 *
 * <p>Rules: name = 1*tchar immediately followed by ':'; value = field-vchar / obs-text / SP / HTAB with
 * surrounding OWS trimmed; lines end with CRLF only (bare CR, bare LF → 400); a line starting with SP/HTAB
 * (obs-fold, or whitespace before the first field) → 400. Field lines (with their CRLFs, without the final
 * empty line) over {@code maxBytes} → 431 as soon as the limit is crossed; more than {@code maxCount}
 * lines → 431.
 */
final class FieldScanner {
    static final int MORE = 0, FIELD = 1, END = 2;

    private static final int LINE_START = 0, NAME = 1, VALUE_OWS = 2, VALUE = 3, LINE_LF = 4, END_LF = 5, DONE = 6;

    private final int maxBytes;
    private final int maxCount;
    /** Trimming trailing OWS looks back at bytes of the value; only allowed when the caller keeps them in place. */
    private final boolean trimTrailingOws;

    private int state;
    private int remaining; // field-line bytes still allowed
    private int count;     // complete field lines so far

    /** Result of the last {@link #scan}: {@link #MORE}, {@link #FIELD} or {@link #END}. */
    int event;
    /** Absolute offsets of the field line just reported ({@link #FIELD}); valid only if its bytes stayed in place. */
    int nameStart, nameEnd, valueStart, valueEnd;

    FieldScanner(int maxBytes, int maxCount, boolean trimTrailingOws) {
        this.maxBytes = maxBytes;
        this.maxCount = maxCount;
        this.trimTrailingOws = trimTrailingOws;
        reset();
    }

    void reset() {
        state = LINE_START;
        remaining = maxBytes;
        count = 0;
        event = MORE;
    }

    /** Number of complete field lines seen. */
    int count() { return count; }

    /** Scans buf[p, end); returns the position after the last consumed byte and sets {@link #event}. */
    int scan(byte[] buf, int p, int end) throws HttpException {
        final int scanStart = p;
        // Index of the first byte that would push the field lines over the byte limit.
        final int limit = (int) Math.min((long) p + Math.max(remaining, 0), Integer.MAX_VALUE);
        event = MORE;
        scan:
        while (p < end) {
            switch (state) {
                case LINE_START -> {
                    byte b = buf[p];
                    if (b == '\r') {
                        state = END_LF; // the empty line ending the section does not count against the limit
                        p++;
                        continue;
                    }
                    if (p >= limit) throw tooLarge();
                    if (HttpChars.is(b, TCHAR)) {
                        if (count >= maxCount) {
                            throw HttpException.headersTooLarge("more than " + maxCount + " header fields");
                        }
                        nameStart = p;
                        state = NAME;
                    } else if (b == ' ' || b == '\t') {
                        throw HttpException.badRequest(count == 0
                                ? "whitespace before the first header field"
                                : "obsolete line folding in header field " + (count + 1));
                    } else if (b == '\n') {
                        throw HttpException.badRequest("bare LF in header section");
                    } else {
                        throw HttpException.badRequest("invalid byte " + HttpChars.describe(b)
                                + " at the start of header field " + (count + 1));
                    }
                }
                case NAME -> {
                    int stop = Math.min(end, limit);
                    while (p < stop && HttpChars.is(buf[p], TCHAR)) p++;
                    if (p == stop) {
                        if (p == end) break scan;
                        throw tooLarge();
                    }
                    byte b = buf[p];
                    if (b != ':') {
                        throw HttpException.badRequest(b == ' ' || b == '\t'
                                ? "whitespace between header field name and colon in field " + (count + 1)
                                : "invalid byte " + HttpChars.describe(b) + " in header field name " + (count + 1));
                    }
                    nameEnd = p++;
                    state = VALUE_OWS;
                }
                case VALUE_OWS -> {
                    int stop = Math.min(end, limit);
                    while (p < stop && (buf[p] == ' ' || buf[p] == '\t')) p++;
                    if (p == stop) {
                        if (p == end) break scan;
                        throw tooLarge();
                    }
                    valueStart = p;
                    state = VALUE;
                }
                case VALUE -> {
                    int stop = Math.min(end, limit);
                    while (p < stop && HttpChars.is(buf[p], FIELD_VALUE)) p++;
                    if (p == stop) {
                        if (p == end) break scan;
                        throw tooLarge();
                    }
                    byte b = buf[p];
                    if (b != '\r') {
                        throw HttpException.badRequest((b == '\n' ? "bare LF" : "invalid byte " + HttpChars.describe(b))
                                + " in value of header field " + (count + 1));
                    }
                    int e = p;
                    if (trimTrailingOws) {
                        while (e > valueStart && (buf[e - 1] == ' ' || buf[e - 1] == '\t')) e--;
                    }
                    valueEnd = e;
                    p++;
                    state = LINE_LF;
                }
                case LINE_LF -> {
                    if (p >= limit) throw tooLarge();
                    if (buf[p] != '\n') throw HttpException.badRequest("CR not followed by LF in header field " + (count + 1));
                    p++;
                    count++;
                    state = LINE_START;
                    event = FIELD;
                    break scan;
                }
                case END_LF -> {
                    if (buf[p] != '\n') throw HttpException.badRequest("CR not followed by LF at the end of the header section");
                    p++;
                    state = DONE;
                    event = END;
                    break scan;
                }
                default -> throw new IllegalStateException("field section already complete");
            }
        }
        remaining -= p - scanStart;
        return p;
    }

    private HttpException tooLarge() {
        return HttpException.headersTooLarge("header section larger than " + maxBytes + " bytes");
    }
}
