package io.weaseldb.http;

import static io.weaseldb.http.HttpChars.TARGET;
import static io.weaseldb.http.HttpChars.TCHAR;

import java.nio.charset.StandardCharsets;

/**
 * Incremental RFC 9112 request-head parser: a byte-level state machine fed whatever bytes have arrived.
 *
 * <p>Contract (the connection relies on it):
 * <ul>
 *   <li>{@link #reset()} before each request. Then call {@link #parseHead(byte[], int, int)} with the same
 *       {@code buf} and {@code start} and a growing {@code end} as bytes arrive; bytes already fed must stay
 *       where they were. The parser resumes where it stopped (it never rescans).</li>
 *   <li>Returns the index one past the blank line that ends the head when complete (the body or the next
 *       pipelined request starts there), or -1 when it needs more bytes.</li>
 *   <li>On any violation throws {@link HttpException} with the status API.md lists; the caller answers and
 *       closes. After a throw the parser is unusable until reset.</li>
 *   <li>Limits from {@link HttpLimits}: request line → 414, field section → 431 (also checked while incomplete,
 *       so a client cannot make the server buffer more than the limits), Content-Length over the body limit → 413.</li>
 *   <li>Allocates nothing per request.</li>
 * </ul>
 *
 * <p>Choices where RFC 9112 leaves room (all strict, because a lenient parser in front of a database is a
 * request-smuggling risk):
 * <ul>
 *   <li>Empty lines (CRLF or bare LF) before the request line are skipped (§2.2), but at most
 *       {@code maxRequestLineBytes} bytes of them, then 400 — an endless stream of CRLFs cannot hold a
 *       connection.</li>
 *   <li>Inside the head only CRLF ends a line: bare LF and bare CR are 400 (§2.2 allows tolerating bare LF;
 *       we do not). Exactly one SP separates the request-line parts.</li>
 *   <li>Request line over {@code maxRequestLineBytes} (without CRLF) → 414, as soon as the limit is crossed.</li>
 *   <li>Target forms (§3.2): origin-form; absolute-form with scheme http/https, non-empty authority, no
 *       userinfo (path becomes the URI's path, or a one-byte "/" when it is empty); asterisk-form only for
 *       OPTIONS; authority-form only (and always) for CONNECT. Bytes outside VCHAR, and '#', → 400. The path
 *       ends at the first '?'.</li>
 *   <li>Version exactly {@code HTTP/1.0} or {@code HTTP/1.1}; another {@code HTTP/d.d} → 505, checked before
 *       the target form (so an HTTP/2 preface gets 505); anything else → 400.</li>
 *   <li>Host: required once in HTTP/1.1 (missing or repeated → 400), optional in 1.0; an empty value is
 *       accepted; otherwise it must be {@code uri-host [":" port]} (a reg-name or IPv4 address of RFC 3986
 *       characters, percent-escapes complete, or an IP literal in brackets; port digits) → else 400.</li>
 *   <li>Content-Type: at most once (a singleton field; two → 400).</li>
 *   <li>Content-Length: 1*DIGIT (leading zeros allowed, surrounding OWS is field syntax and is trimmed);
 *       lists, signs, inner whitespace, empty value or overflow of a long → 400; several fields with the same
 *       value count as one, differing → 400; over {@code maxBodyBytes} → 413.</li>
 *   <li>Transfer-Encoding (all field lines combined, codings case-insensitive, one token per list element):
 *       checked in this order — with Content-Length → 400; in HTTP/1.0 → 400 (§6.1 "faulty framing");
 *       an element that is not a single token (e.g. has parameters) → 400; any coding other than chunked
 *       → 501; chunked repeated, not last or missing → 400.</li>
 *   <li>Connection: {@code close} → no keep-alive (wins); {@code keep-alive} enables it for HTTP/1.0.</li>
 *   <li>Expect: {@code 100-continue} (case-insensitive list element) sets {@link RequestHead#expectContinue()}
 *       for HTTP/1.1; HTTP/1.0 expectations are ignored (RFC 9110 §10.1.1); other expectations are ignored
 *       rather than answered with 417.</li>
 * </ul>
 */
public final class RequestParser {
    private static final byte[] HTTP_SLASH = {'H', 'T', 'T', 'P', '/'};
    private static final byte[] HOST = lower("host");
    private static final byte[] EXPECT = lower("expect");
    private static final byte[] CONNECTION = lower("connection");
    private static final byte[] CONTENT_LENGTH = lower("content-length");
    private static final byte[] CONTENT_TYPE = lower("content-type");
    private static final byte[] TRANSFER_ENCODING = lower("transfer-encoding");
    private static final byte[] CLOSE = lower("close");
    private static final byte[] KEEP_ALIVE = lower("keep-alive");
    private static final byte[] CONTINUE = lower("100-continue");
    private static final byte[] CHUNKED = lower("chunked");

    private static final int LEADING = 0, LEADING_LF = 1, METHOD = 2, TARGET_START = 3, TARGET_REST = 4,
            VERSION = 5, REQUEST_LINE_LF = 6, FIELDS = 7, COMPLETE = 8, FAILED = 9;

    private final HttpLimits limits;
    private final RequestHead head;
    private final FieldScanner fields;

    private int state;
    private int start;      // buffer index of the first byte of this request (including leading empty lines)
    private int pos;        // next byte to examine
    private int leadingBytes;
    private int lineStart;  // first byte of the request line
    private int lineLimit;  // first index the request line may not occupy (except by its CR)
    private int queryMark;  // first '?' in the target, or -1
    private int versionStart;
    private int versionMajor;

    // Header semantics, collected while the fields stream by and judged when the head is complete.
    private int hostCount;
    private int contentTypeCount;
    private boolean connectionClose, connectionKeepAlive, expectContinue;
    private boolean transferEncoding, codingMalformed, codingUnknown, lastCodingChunked;
    private int chunkedCount;

    public RequestParser(HttpLimits limits) {
        this.limits = limits;
        this.head = new RequestHead(limits.maxHeaderCount());
        this.fields = new FieldScanner(limits.maxHeaderBytes(), limits.maxHeaderCount(), true);
        reset();
    }

    public HttpLimits limits() { return limits; }

    /** The view filled by the last complete {@link #parseHead}. */
    public RequestHead head() { return head; }

    public void reset() {
        head.clear();
        fields.reset();
        state = LEADING;
        start = pos = -1;
        leadingBytes = 0;
        lineStart = lineLimit = versionStart = 0;
        queryMark = -1;
        versionMajor = 0;
        hostCount = contentTypeCount = 0;
        connectionClose = connectionKeepAlive = expectContinue = false;
        transferEncoding = codingMalformed = codingUnknown = lastCodingChunked = false;
        chunkedCount = 0;
    }

    /**
     * Returns the index past the empty lines (CRLF or bare LF, RFC 9112 §2.2) at the start of {@code buf[start, end)},
     * for a caller that drops them before parsing starts (a connection that ignores them while it waits for the next
     * request). They count against the same limit as the ones {@link #parseHead} skips, so the limit does not depend
     * on how the bytes arrived. Stops at the first other byte, at a CR whose LF has not arrived, and at the limit:
     * what is left is for {@link #parseHead}, which refuses the first byte over the limit.
     */
    public int skipEmptyLines(byte[] buf, int start, int end) {
        if (this.start >= 0) throw new IllegalStateException("parseHead has started: it skips empty lines itself");
        int room = limits.maxRequestLineBytes() - leadingBytes;
        int p = start;
        while (p < end) {
            int n = buf[p] == '\n' ? 1 : buf[p] == '\r' && end - p >= 2 && buf[p + 1] == '\n' ? 2 : 0;
            if (n == 0 || n > room) break;
            p += n;
            room -= n;
        }
        leadingBytes += p - start;
        return p;
    }

    /** True once at least one byte of a request line (not a leading empty line) has been seen. */
    public boolean started() {
        return state != LEADING && state != LEADING_LF;
    }

    public int parseHead(byte[] buf, int start, int end) throws HttpException {
        if (state == FAILED) throw new IllegalStateException("parser failed; reset() before the next request");
        if (this.start < 0) {
            if (start < 0 || start > end || end > buf.length) throw new IndexOutOfBoundsException("start " + start + " end " + end);
            head.useBuffer(buf);
            this.start = pos = start;
        } else if (buf != head.buf || start != this.start || end < pos || end > buf.length) {
            throw new IllegalArgumentException("parseHead must be resumed with the same buffer and start and a growing end");
        }
        if (state == COMPLETE) return pos;
        try {
            return run(buf, end);
        } catch (HttpException e) {
            state = FAILED;
            throw e;
        }
    }

    /**
     * The bytes parsed so far were copied to the same offsets of the larger {@code copy} (a connection moving
     * to a bigger read buffer): resume there, with the head's views pointing into the copy.
     */
    public void rebase(byte[] copy) {
        if (start < 0) return; // nothing parsed yet: the next parseHead names the buffer
        if (copy.length < pos) throw new IllegalArgumentException("rebase onto " + copy.length + " bytes, parsed up to " + pos);
        head.useBuffer(copy);
    }

    private int run(byte[] buf, int end) throws HttpException {
        int p = pos;
        loop:
        while (p < end) {
            switch (state) {
                case LEADING -> {
                    byte b = buf[p];
                    if (b == '\r' || b == '\n') {
                        countLeadingByte();
                        p++;
                        if (b == '\r') state = LEADING_LF;
                    } else {
                        lineStart = head.methodStart = p;
                        lineLimit = (int) Math.min((long) p + limits.maxRequestLineBytes(), Integer.MAX_VALUE);
                        state = METHOD;
                    }
                }
                case LEADING_LF -> {
                    if (buf[p] != '\n') throw HttpException.badRequest("CR not followed by LF before the request line");
                    countLeadingByte();
                    p++;
                    state = LEADING;
                }
                case METHOD -> {
                    int stop = Math.min(end, lineLimit);
                    while (p < stop && HttpChars.is(buf[p], TCHAR)) p++;
                    if (p == stop) {
                        if (p == end) break loop;
                        throw requestLineTooLong();
                    }
                    if (buf[p] != ' ') {
                        throw HttpException.badRequest("invalid byte " + HttpChars.describe(buf[p])
                                + " in method at offset " + (p - lineStart));
                    }
                    if (p == head.methodStart) throw HttpException.badRequest("request line starts with a space");
                    head.methodEnd = p;
                    head.methodOrdinal = (byte) method(buf, head.methodStart, p).ordinal();
                    p++;
                    head.targetStart = p;
                    state = TARGET_START;
                }
                case TARGET_START -> {
                    if (p >= lineLimit) throw requestLineTooLong();
                    byte b = buf[p];
                    if (b == ' ') throw HttpException.badRequest("empty request target (more than one space after the method)");
                    state = TARGET_REST; // TARGET_REST judges b itself
                }
                case TARGET_REST -> {
                    int stop = Math.min(end, lineLimit);
                    byte b = 0;
                    while (p < stop && HttpChars.is(b = buf[p], TARGET)) {
                        if (b == '?' && queryMark < 0) queryMark = p;
                        p++;
                    }
                    if (p == stop) {
                        if (p == end) break loop;
                        throw requestLineTooLong();
                    }
                    if (b != ' ') throw badTargetByte(b, p);
                    head.targetEnd = p;
                    p++;
                    versionStart = p;
                    state = VERSION;
                }
                case VERSION -> {
                    // "HTTP/" DIGIT "." DIGIT CR, checked byte by byte so garbage fails without waiting for CR.
                    byte b = buf[p];
                    int i = p - versionStart;
                    if (p >= lineLimit && !(i == 8 && b == '\r')) throw requestLineTooLong();
                    if (i < 5) {
                        if (b != HTTP_SLASH[i]) throw malformedVersion();
                    } else if (i == 5) {
                        if (b < '0' || b > '9') throw malformedVersion();
                        versionMajor = b - '0';
                    } else if (i == 6) {
                        if (b != '.') throw malformedVersion();
                    } else if (i == 7) {
                        if (b < '0' || b > '9') throw malformedVersion();
                        head.versionMinor = b - '0';
                    } else {
                        if (b != '\r') throw malformedVersion();
                        if (versionMajor != 1 || head.versionMinor > 1) {
                            throw HttpException.versionNotSupported("HTTP/" + versionMajor + "." + head.versionMinor
                                    + " is not supported (only HTTP/1.0 and HTTP/1.1)");
                        }
                        RequestTarget.classify(head, buf, queryMark, lineStart);
                        state = REQUEST_LINE_LF;
                    }
                    p++;
                }
                case REQUEST_LINE_LF -> {
                    if (buf[p] != '\n') throw HttpException.badRequest("CR not followed by LF at the end of the request line");
                    p++;
                    state = FIELDS;
                }
                case FIELDS -> {
                    p = fields.scan(buf, p, end);
                    if (fields.event == FieldScanner.FIELD) {
                        addField(buf);
                    } else if (fields.event == FieldScanner.END) {
                        finish(p);
                        state = COMPLETE;
                        pos = p;
                        return p;
                    }
                }
                default -> throw new IllegalStateException("state " + state);
            }
        }
        pos = p;
        return -1;
    }

    private void countLeadingByte() throws HttpException {
        if (++leadingBytes > limits.maxRequestLineBytes()) {
            throw HttpException.badRequest("more than " + limits.maxRequestLineBytes()
                    + " bytes of empty lines before the request line");
        }
    }

    private static Method method(byte[] buf, int s, int e) {
        switch (e - s) {
            case 3:
                if (buf[s] == 'G' && buf[s + 1] == 'E' && buf[s + 2] == 'T') return Method.GET;
                if (buf[s] == 'P' && buf[s + 1] == 'U' && buf[s + 2] == 'T') return Method.PUT;
                break;
            case 4:
                if (is(buf, s, "POST")) return Method.POST;
                if (is(buf, s, "HEAD")) return Method.HEAD;
                break;
            case 5:
                if (is(buf, s, "PATCH")) return Method.PATCH;
                if (is(buf, s, "TRACE")) return Method.TRACE;
                break;
            case 6:
                if (is(buf, s, "DELETE")) return Method.DELETE;
                break;
            case 7:
                if (is(buf, s, "OPTIONS")) return Method.OPTIONS;
                if (is(buf, s, "CONNECT")) return Method.CONNECT;
                break;
            default:
                break;
        }
        return Method.OTHER;
    }

    /** Case-sensitive: methods are (RFC 9110 §9.1). {@code name} is a compile-time constant; no allocation. */
    private static boolean is(byte[] buf, int s, String name) {
        for (int i = 0; i < name.length(); i++) if (buf[s + i] != name.charAt(i)) return false;
        return true;
    }

    private HttpException badTargetByte(byte b, int p) {
        if (b == '#') return HttpException.badRequest("fragment ('#') in request target");
        if (b == '\r' || b == '\n') return HttpException.badRequest("request line has no HTTP version");
        return HttpException.badRequest("invalid byte " + HttpChars.describe(b) + " in request target at offset " + (p - lineStart));
    }

    private HttpException requestLineTooLong() {
        return HttpException.uriTooLong("request line longer than " + limits.maxRequestLineBytes() + " bytes");
    }

    private static HttpException malformedVersion() {
        return HttpException.badRequest("malformed HTTP version (expected HTTP/1.1 or HTTP/1.0 followed by CRLF)");
    }

    private void addField(byte[] buf) throws HttpException {
        RequestHead h = head;
        int i = h.headerCount++;
        int ns = fields.nameStart, ne = fields.nameEnd, vs = fields.valueStart, ve = fields.valueEnd;
        h.nameStart[i] = ns;
        h.nameEnd[i] = ne;
        h.valueStart[i] = vs;
        h.valueEnd[i] = ve;
        // Only a handful of names matter to framing; the length switch rejects almost every other name at once.
        switch (ne - ns) {
            case 4 -> {
                if (HttpChars.equalsLower(buf, ns, ne, HOST)) host(buf, vs, ve);
            }
            case 6 -> {
                if (HttpChars.equalsLower(buf, ns, ne, EXPECT) && HttpChars.listContains(buf, vs, ve, CONTINUE)) {
                    expectContinue = true;
                }
            }
            case 10 -> {
                if (HttpChars.equalsLower(buf, ns, ne, CONNECTION)) {
                    if (HttpChars.listContains(buf, vs, ve, CLOSE)) connectionClose = true;
                    if (HttpChars.listContains(buf, vs, ve, KEEP_ALIVE)) connectionKeepAlive = true;
                }
            }
            case 12 -> {
                // A singleton field (RFC 9110 §8.3): with two, a proxy may pick the other one than we do.
                if (HttpChars.equalsLower(buf, ns, ne, CONTENT_TYPE) && ++contentTypeCount > 1) {
                    throw HttpException.badRequest("more than one Content-Type header field");
                }
            }
            case 14 -> {
                if (HttpChars.equalsLower(buf, ns, ne, CONTENT_LENGTH)) contentLength(buf, vs, ve);
            }
            case 17 -> {
                if (HttpChars.equalsLower(buf, ns, ne, TRANSFER_ENCODING)) transferEncoding(buf, vs, ve);
            }
            default -> { }
        }
    }

    /**
     * RFC 9110 §7.2: {@code uri-host [ ":" port ]}, where uri-host is an IP-literal in brackets or a reg-name /
     * IPv4 address, and port is *DIGIT (RFC 3986). An invalid value is a MUST-400 (RFC 9112 §3.2).
     */
    private void host(byte[] buf, int s, int e) throws HttpException {
        if (++hostCount > 1) throw HttpException.badRequest("more than one Host header field");
        RequestTarget.checkAuthority(buf, s, e, "Host");
    }

    private void contentLength(byte[] buf, int s, int e) throws HttpException {
        if (s == e) throw HttpException.badRequest("empty Content-Length");
        long v = 0;
        for (int i = s; i < e; i++) {
            byte b = buf[i];
            if (b < '0' || b > '9') {
                throw HttpException.badRequest("Content-Length must be digits only, found " + HttpChars.describe(b));
            }
            int d = b - '0';
            if (v > (Long.MAX_VALUE - d) / 10) throw HttpException.badRequest("Content-Length overflows");
            v = v * 10 + d;
        }
        if (head.contentLength >= 0 && head.contentLength != v) {
            throw HttpException.badRequest("conflicting Content-Length values " + head.contentLength + " and " + v);
        }
        head.contentLength = v;
    }

    /** Records the codings of one Transfer-Encoding line; judged in {@link #finish} so the order of checks is fixed. */
    private void transferEncoding(byte[] buf, int s, int e) {
        transferEncoding = true;
        int i = s;
        while (i <= e) {
            int comma = i;
            while (comma < e && buf[comma] != ',') comma++;
            int a = i, b = comma;
            while (a < b && HttpChars.isOws(buf[a])) a++;
            while (b > a && HttpChars.isOws(buf[b - 1])) b--;
            if (a < b) { // empty list elements are ignored (RFC 9110 §5.6.1)
                for (int j = a; j < b; j++) if (!HttpChars.is(buf[j], TCHAR)) codingMalformed = true;
                if (HttpChars.equalsLower(buf, a, b, CHUNKED)) {
                    chunkedCount++;
                    lastCodingChunked = true;
                } else {
                    codingUnknown = true;
                    lastCodingChunked = false;
                }
            }
            i = comma + 1;
        }
    }

    /** Judges the head as a whole once the empty line has arrived. */
    private void finish(int end) throws HttpException {
        RequestHead h = head;
        boolean http11 = h.versionMinor == 1;
        if (http11 && hostCount == 0) throw HttpException.badRequest("HTTP/1.1 request without Host");
        if (transferEncoding) {
            if (h.contentLength >= 0) throw HttpException.badRequest("both Content-Length and Transfer-Encoding");
            if (!http11) throw HttpException.badRequest("Transfer-Encoding in an HTTP/1.0 request");
            if (codingMalformed) throw HttpException.badRequest("malformed Transfer-Encoding (one token per coding)");
            // Framing first: without chunked last, exactly once, the body's length cannot be known, and RFC 9112
            // §6.3 requires 400 whatever the other codings are. Only a well-framed request with a coding we lack is 501.
            if (chunkedCount != 1 || !lastCodingChunked) {
                throw HttpException.badRequest("Transfer-Encoding must end with chunked, exactly once");
            }
            if (codingUnknown) throw HttpException.notImplemented("only the chunked transfer coding is supported");
            h.chunked = true;
        }
        if (h.contentLength > limits.maxBodyBytes()) {
            throw HttpException.payloadTooLarge("Content-Length " + h.contentLength + " exceeds " + limits.maxBodyBytes() + " bytes");
        }
        // What follows a CONNECT may be meant for the tunnel the client asked for: never parsed as requests.
        h.keepAlive = !connectionClose && (http11 || connectionKeepAlive) && h.method() != Method.CONNECT;
        h.expectContinue = expectContinue && http11;
        h.headLength = end - lineStart;
    }

    private static byte[] lower(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
