package io.weaseldb.http;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;

/**
 * Percent-decoding of query components (RFC 3986 §2.1; '+' as space, as HTML forms send it). Strict: a
 * malformed escape or escaped bytes that are not UTF-8 make the component undecodable, never a
 * replacement character, so two different query strings cannot name the same request id.
 */
final class Percent {
    private Percent() { }

    /** Decodes buf[s, e) (ASCII: the parser admits nothing else in a target), or null when it is malformed. */
    static String decode(byte[] buf, int s, int e) {
        boolean plain = true;
        for (int i = s; i < e; i++) if (buf[i] == '%' || buf[i] == '+') { plain = false; break; }
        if (plain) return new String(buf, s, e - s, StandardCharsets.US_ASCII);
        byte[] out = new byte[e - s];
        int n = 0;
        for (int i = s; i < e; i++) {
            byte b = buf[i];
            if (b == '+') {
                out[n++] = ' ';
            } else if (b != '%') {
                out[n++] = b;
            } else if (isEscape(buf, i, e)) {
                out[n++] = (byte) (hex(buf[i + 1]) << 4 | hex(buf[i + 2]));
                i += 2;
            } else {
                return null;
            }
        }
        try {
            // newDecoder() reports malformed input instead of replacing it (String's constructor replaces).
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(out, 0, n)).toString();
        } catch (CharacterCodingException malformed) {
            return null;
        }
    }

    /** True when {@code buf[i]} starts a complete escape within {@code [i, e)}: '%' and two hex digits (RFC 3986 pct-encoded). */
    static boolean isEscape(byte[] buf, int i, int e) {
        return buf[i] == '%' && i + 2 < e && hex(buf[i + 1]) >= 0 && hex(buf[i + 2]) >= 0;
    }

    static int hex(byte b) {
        if (b >= '0' && b <= '9') return b - '0';
        if (b >= 'a' && b <= 'f') return b - 'a' + 10;
        if (b >= 'A' && b <= 'F') return b - 'A' + 10;
        return -1;
    }
}
