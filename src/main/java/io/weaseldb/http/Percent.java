package io.weaseldb.http;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Percent-decoding of query components (RFC 3986 §2.1; '+' as space, as HTML forms send it). */
final class Percent {
    private Percent() { }

    /** Decodes buf[s, e); a malformed escape is kept literally rather than failing the request. */
    static String decode(byte[] buf, int s, int e) {
        boolean plain = true;
        for (int i = s; i < e; i++) if (buf[i] == '%' || buf[i] == '+') { plain = false; break; }
        if (plain) return new String(buf, s, e - s, StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(e - s);
        for (int i = s; i < e; i++) {
            byte b = buf[i];
            if (b == '+') out.write(' ');
            else if (b == '%' && i + 2 < e && hex(buf[i + 1]) >= 0 && hex(buf[i + 2]) >= 0) {
                out.write(hex(buf[i + 1]) << 4 | hex(buf[i + 2]));
                i += 2;
            } else out.write(b);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    static int hex(byte b) {
        if (b >= '0' && b <= '9') return b - '0';
        if (b >= 'a' && b <= 'f') return b - 'a' + 10;
        if (b >= 'A' && b <= 'F') return b - 'A' + 10;
        return -1;
    }
}
