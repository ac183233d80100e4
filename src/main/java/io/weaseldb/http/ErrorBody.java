package io.weaseldb.http;

import java.nio.charset.StandardCharsets;

/** The API's error body {@code {"error":"<code>","message":"<text>"}} with JSON string escaping. */
public final class ErrorBody {
    private ErrorBody() { }

    public static byte[] json(String code, String message) {
        StringBuilder sb = new StringBuilder(32 + message.length());
        sb.append("{\"error\":");
        quote(sb, code);
        sb.append(",\"message\":");
        quote(sb, message);
        sb.append('}');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Appends {@code s} as a JSON string literal (RFC 8259 §7). */
    public static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        sb.append(c).append(s.charAt(++i));
                    } else if (c < 0x20 || Character.isSurrogate(c)) {
                        // An unpaired surrogate has no UTF-8 form: escaped, it is echoed exactly, not as '?'.
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
