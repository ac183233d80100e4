package io.weaseldb.http;

import java.nio.charset.StandardCharsets;

/**
 * The request target's rules, applied by {@link RequestParser} once a request line is complete: its form (RFC 9112
 * §3.2: origin, absolute, authority for CONNECT, asterisk for OPTIONS), its escapes (RFC 3986 pct-encoded, the
 * path's normalized so that equivalent paths route alike) and the authority syntax it shares with Host. Static and
 * allocation-free unless it refuses the request.
 */
final class RequestTarget {
    private static final byte[] HTTP = "http".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HTTPS = "https".getBytes(StandardCharsets.US_ASCII);

    private RequestTarget() { }

    /**
     * Classifies a complete target (RFC 9112 §3.2) and sets the path and query offsets of {@code h}, normalizing the
     * path's escapes in place. {@code queryMark}: the target's first '?', or -1; {@code lineStart}: where the request
     * line starts, for the offsets errors name.
     */
    static void classify(RequestHead h, byte[] buf, int queryMark, int lineStart) throws HttpException {
        int s = h.targetStart, e = h.targetEnd;
        if (h.method() == Method.CONNECT) {
            checkAuthorityForm(buf, s, e);
            h.pathStart = h.pathEnd = s; // no path: the router answers 404/405
            return;
        }
        int pathEnd = queryMark >= 0 ? queryMark : e;
        if (queryMark >= 0) {
            h.queryStart = queryMark + 1;
            h.queryEnd = e;
        }
        byte first = buf[s];
        if (first == '/') {
            h.pathStart = s;
            h.pathEnd = pathEnd;
        } else if (first == '*' && e - s == 1) {
            if (h.method() != Method.OPTIONS) throw HttpException.badRequest("asterisk-form target is only allowed for OPTIONS");
            h.pathStart = s;
            h.pathEnd = e;
        } else {
            int authority = absoluteFormAuthority(buf, s, e);
            int a = authority;
            while (a < e && buf[a] != '/' && buf[a] != '?') {
                if (buf[a] == '@') throw HttpException.badRequest("userinfo is not allowed in an http(s) request target");
                a++;
            }
            if (a == authority) throw HttpException.badRequest("absolute-form target with an empty host");
            checkAuthority(buf, authority, a, "request target authority");
            if (a < pathEnd) { // a is the '/' starting the path
                h.pathStart = a;
                h.pathEnd = pathEnd;
            } else {
                // An empty path means "/" (RFC 9112 §3.2.2 / RFC 9110 §4.2.3): reuse the second '/' of "://"
                // as a one-byte path so path() and pathEquals("/") work without pointing outside the buffer.
                h.pathStart = authority - 1;
                h.pathEnd = authority;
            }
        }
        h.pathEnd = normalizeEscapes(buf, h.pathStart, h.pathEnd, lineStart);
        if (queryMark >= 0) checkQueryEscapes(buf, queryMark + 1, e);
    }

    /**
     * Checks the path's escapes (every '%' starts one, RFC 3986 pct-encoded, else 400) and normalizes them in place
     * (RFC 3986 §6.2.2.1-2), so that equivalent paths route alike: an escaped unreserved character is decoded
     * ({@code /%6Fk} is {@code /ok}) and the other escapes keep their meaning with uppercase hex digits ({@code %2f}
     * stays an escaped '/', as {@code %2F}). Returns the path's new end; the bytes after it, up to the old end, are
     * stale. A path without escapes is only scanned. {@code lineStart}: for the offset an error names.
     */
    private static int normalizeEscapes(byte[] buf, int s, int e, int lineStart) throws HttpException {
        int r = s;
        while (r < e && buf[r] != '%') r++;
        int w = r;
        while (r < e) {
            byte b = buf[r];
            if (b != '%') {
                buf[w++] = b;
                r++;
                continue;
            }
            if (!Percent.isEscape(buf, r, e)) {
                throw HttpException.badRequest("invalid percent-encoding in the request path at offset " + (r - lineStart)
                    + " (a '%' must be followed by two hex digits)");
            }
            int v = Percent.hex(buf[r + 1]) << 4 | Percent.hex(buf[r + 2]);
            if (isUnreserved(v)) {
                buf[w++] = (byte) v;
            } else {
                buf[w++] = '%';
                buf[w++] = HEX_UPPER[v >> 4];
                buf[w++] = HEX_UPPER[v & 0xF];
            }
            r += 3;
        }
        return w;
    }

    /** RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
    private static boolean isUnreserved(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == '-' || c == '.' || c == '_' || c == '~';
    }

    private static final byte[] HEX_UPPER = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    /**
     * Every '%' in the query {@code [s, e)} starts an escape (RFC 3986 pct-encoded), else 400 naming the parameter,
     * as a handler reading it would. The query is checked only: parameters are decoded when read.
     */
    private static void checkQueryEscapes(byte[] buf, int s, int e) throws HttpException {
        for (int i = s; i < e; i++) {
            if (buf[i] != '%' || Percent.isEscape(buf, i, e)) continue;
            int start = i;
            while (start > s && buf[start - 1] != '&') start--;
            int end = start;
            while (end < e && buf[end] != '=' && buf[end] != '&') end++;
            String name = new String(buf, start, Math.min(end, start + 64) - start, StandardCharsets.ISO_8859_1);
            throw HttpException.badRequest(name + ": invalid percent-encoding (a '%' not followed by two hex digits)");
        }
    }

    /** Checks {@code ("http" / "https") "://"} (scheme case-insensitive) and returns where the authority starts. */
    private static int absoluteFormAuthority(byte[] buf, int s, int e) throws HttpException {
        int colon = s;
        while (colon < e && buf[colon] != ':' && buf[colon] != '/' && buf[colon] != '?') colon++;
        if (colon == e || buf[colon] != ':'
                || !(HttpChars.equalsLower(buf, s, colon, HTTP) || HttpChars.equalsLower(buf, s, colon, HTTPS))) {
            throw HttpException.badRequest("request target must be origin-form (/path) or an absolute http(s) URI");
        }
        if (e - colon < 3 || buf[colon + 1] != '/' || buf[colon + 2] != '/') {
            throw HttpException.badRequest("absolute-form target without \"//\" authority");
        }
        return colon + 3;
    }

    /** authority-form (CONNECT): {@code host ":" port}, host non-empty, port 1*DIGIT. */
    private static void checkAuthorityForm(byte[] buf, int s, int e) throws HttpException {
        int colon = e - 1;
        while (colon >= s && buf[colon] >= '0' && buf[colon] <= '9') colon--;
        boolean ok = colon > s && colon < e - 1 && buf[colon] == ':';
        for (int i = s; ok && i < colon; i++) ok = HttpChars.is(buf[i], HttpChars.HOST);
        if (!ok) throw HttpException.badRequest("CONNECT requires an authority-form target (host:port)");
    }

    /** {@code uri-host [":" port]} as in Host; {@code what} names the field in the message. */
    static void checkAuthority(byte[] buf, int s, int e, String what) throws HttpException {
        int p = s;
        if (p < e && buf[p] == '[') {
            for (p++; p < e && buf[p] != ']'; p++) hostByte(buf, p, e, true, what);
            if (p == e) throw HttpException.badRequest(what + ": IP literal without its closing ']'");
            p++;
        } else {
            for (; p < e && buf[p] != ':'; p++) hostByte(buf, p, e, true, what);
        }
        if (p == e) return;
        if (buf[p] != ':') throw HttpException.badRequest(what + ": " + HttpChars.describe(buf[p]) + " after the IP literal (expected ':' and a port)");
        for (p++; p < e; p++) {
            if (buf[p] < '0' || buf[p] > '9') {
                hostByte(buf, p, e, false, what);
                throw HttpException.badRequest(what + ": the port must be digits, found " + HttpChars.describe(buf[p]));
            }
        }
    }

    /** Refuses a byte that can never be part of Host, a bracket where none may be, or a '%' without two hex digits. */
    private static void hostByte(byte[] buf, int p, int e, boolean inHost, String what) throws HttpException {
        byte b = buf[p];
        if (!HttpChars.is(b, HttpChars.HOST) || (inHost && (b == '[' || b == ']'))) {
            throw HttpException.badRequest("invalid byte " + HttpChars.describe(b) + " in " + what);
        }
        if (b == '%' && !Percent.isEscape(buf, p, e)) {
            throw HttpException.badRequest(what + ": '%' not followed by two hex digits (RFC 3986 pct-encoded)");
        }
    }
}
