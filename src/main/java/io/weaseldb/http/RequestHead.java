package io.weaseldb.http;

import java.nio.charset.StandardCharsets;

/**
 * The parsed request line and header fields of one request, as offsets into the connection's read
 * buffer (no copies). Reused for every request on a connection: {@link RequestParser#reset()} clears it.
 * Strings are made only when a handler asks ({@link #path()}, {@link #header(String)}).
 *
 * <p>Offsets are absolute indexes into {@link #buffer()}; ends are exclusive. Valid until the parser is reset.
 */
public final class RequestHead {
    private static final Method[] METHODS = Method.values();

    /*
     * Per request, the fields below change by primitive stores only: a reference stored into this long-lived object
     * is a G1 card to refine, one per connection per request (at 9,000 connections that refinement was a sizeable
     * share of the carrier's CPU). So the method is its ordinal, and the buffer, which changes only when the
     * connection moves to another read buffer, is stored only then; hasBuffer says whether it is this request's.
     */
    byte[] buf;
    boolean hasBuffer;
    byte methodOrdinal = (byte) Method.OTHER.ordinal();
    int methodStart, methodEnd;
    int targetStart, targetEnd;
    /**
     * Path part of the target: origin-form path, or the path of an absolute-form target ("/" when empty), with its
     * escapes normalized (an escaped unreserved character decoded, other escapes in uppercase hex).
     */
    int pathStart, pathEnd;
    /** Query after '?', without the '?'; queryStart == -1 when there is none. */
    int queryStart = -1, queryEnd = -1;
    int versionMinor; // 0 or 1 (HTTP/1.x only; others are refused with 505)
    int headerCount;
    int[] nameStart, nameEnd, valueStart, valueEnd; // value trimmed of leading/trailing OWS
    long contentLength = -1; // -1 when absent
    boolean chunked;
    boolean keepAlive;
    boolean expectContinue;
    /** Byte length of the head (request line + fields + final CRLF), set when complete. */
    int headLength;

    public RequestHead(int maxHeaderCount) {
        nameStart = new int[maxHeaderCount];
        nameEnd = new int[maxHeaderCount];
        valueStart = new int[maxHeaderCount];
        valueEnd = new int[maxHeaderCount];
    }

    void clear() {
        hasBuffer = false;
        methodOrdinal = (byte) Method.OTHER.ordinal();
        methodStart = methodEnd = targetStart = targetEnd = pathStart = pathEnd = 0;
        queryStart = queryEnd = -1;
        versionMinor = 1;
        headerCount = 0;
        contentLength = -1;
        chunked = keepAlive = expectContinue = false;
        headLength = 0;
    }

    /** The buffer the views index, or null before a request's first byte was parsed. */
    public byte[] buffer() { return hasBuffer ? buf : null; }
    public Method method() { return METHODS[methodOrdinal]; }

    /** Points the views at {@code b}; a store only when it is another buffer (see the fields' comment). */
    void useBuffer(byte[] b) {
        if (buf != b) buf = b;
        hasBuffer = true;
    }
    public String methodName() { return ascii(methodStart, methodEnd); }
    public int versionMinor() { return versionMinor; }
    /** True when the client may send another request after this one (HTTP/1.1 unless "close"; 1.0 only with "keep-alive"). */
    public boolean keepAlive() { return keepAlive; }
    public boolean expectContinue() { return expectContinue; }
    public boolean chunked() { return chunked; }
    /** Declared Content-Length, or -1 when absent. */
    public long contentLength() { return contentLength; }
    /** True when a body follows the head (chunked, or Content-Length greater than 0). */
    public boolean hasBody() { return chunked || contentLength > 0; }
    public int headLength() { return headLength; }

    public int pathStart() { return pathStart; }
    public int pathEnd() { return pathEnd; }
    public String path() { return ascii(pathStart, pathEnd); }
    /**
     * The request target as received, except for its path when that had escapes: the parser normalized them in
     * place ({@link #path()} is the normalized path), which leaves the target's bytes after the path stale.
     */
    public String target() { return ascii(targetStart, targetEnd); }
    /** Raw query string (without '?'), or null. */
    public String query() { return queryStart < 0 ? null : ascii(queryStart, queryEnd); }

    /** True when the path equals {@code p} byte for byte, without allocating. */
    public boolean pathEquals(byte[] p) {
        return regionEquals(pathStart, pathEnd, p);
    }

    /** True when the path starts with {@code p}, without allocating. */
    public boolean pathStartsWith(byte[] p) {
        int len = p.length;
        if (pathEnd - pathStart < len) return false;
        for (int i = 0; i < len; i++) if (buf[pathStart + i] != p[i]) return false;
        return true;
    }

    public int headerCount() { return headerCount; }
    public String headerName(int i) { return ascii(nameStart[i], nameEnd[i]); }
    public String headerValue(int i) { return latin1(valueStart[i], valueEnd[i]); }

    /** Index of the first field named {@code name} (ASCII case-insensitive), or -1. */
    public int indexOf(String name) {
        return indexOf(name, 0);
    }

    /** Index of the first field named {@code name} (ASCII case-insensitive) at or after {@code from}, or -1. */
    public int indexOf(String name, int from) {
        outer:
        for (int i = from; i < headerCount; i++) {
            int s = nameStart[i];
            if (nameEnd[i] - s != name.length()) continue;
            for (int j = 0; j < name.length(); j++) {
                if (lower(buf[s + j]) != lower((byte) name.charAt(j))) continue outer;
            }
            return i;
        }
        return -1;
    }

    /** Value of the first field named {@code name}, or null. */
    public String header(String name) {
        int i = indexOf(name);
        return i < 0 ? null : headerValue(i);
    }

    /**
     * Value of query parameter {@code name} (percent-decoded, '+' as space), or null when absent. A value with a
     * malformed escape or escaped bytes that are not UTF-8 is a 400 naming the parameter (a name that does not decode
     * matches nothing), and so is a parameter given twice: which one a proxy or an ACL in front of us reads is
     * anyone's guess (parameter pollution), and for {@code /v1/status} the value decides which id is banned.
     */
    public String queryParam(String name) throws HttpException {
        if (queryStart < 0) return null;
        String found = null;
        int i = queryStart;
        while (i < queryEnd) {
            int amp = i;
            while (amp < queryEnd && buf[amp] != '&') amp++;
            int eq = i;
            while (eq < amp && buf[eq] != '=') eq++;
            if (name.equals(Percent.decode(buf, i, eq))) {
                if (found != null) throw HttpException.badRequest(name + ": given more than once");
                found = eq == amp ? "" : Percent.decode(buf, eq + 1, amp);
                if (found == null) {
                    throw HttpException.badRequest(name + ": invalid percent-encoding (a '%' not followed by two hex digits, or escaped bytes that are not UTF-8)");
                }
            }
            i = amp + 1;
        }
        return found;
    }

    private boolean regionEquals(int s, int e, byte[] p) {
        if (e - s != p.length) return false;
        for (int i = 0; i < p.length; i++) if (buf[s + i] != p[i]) return false;
        return true;
    }

    static byte lower(byte b) { return (b >= 'A' && b <= 'Z') ? (byte) (b + 32) : b; }

    private String ascii(int s, int e) { return new String(buf, s, e - s, StandardCharsets.US_ASCII); }
    private String latin1(int s, int e) { return new String(buf, s, e - s, StandardCharsets.ISO_8859_1); }
}
