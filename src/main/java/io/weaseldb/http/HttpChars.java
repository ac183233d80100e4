package io.weaseldb.http;

/**
 * Byte classes of RFC 9110/9112 as one 256-entry table, so every hot-loop check is a load and a mask
 * (no range comparisons, and obs-text bytes need no sign juggling beyond {@code & 0xFF}).
 */
final class HttpChars {
    private HttpChars() { }

    /** tchar: the characters of a token (method, field name, transfer coding, chunk-ext name/value). */
    static final int TCHAR = 1;
    /** field-vchar / obs-text / SP / HTAB: what a field value may contain between its first and last byte. */
    static final int FIELD_VALUE = 2;
    /** Allowed in a request-target: VCHAR except '#' (no CTL, SP, DEL, non-ASCII, fragment). */
    static final int TARGET = 4;
    /** HEXDIG. */
    static final int HEX = 8;
    /** Allowed in a Host value: unreserved / pct-encoded / sub-delims / ":" / "[" / "]" (RFC 3986 authority, no userinfo). */
    static final int HOST = 16;

    private static final byte[] CLASS = new byte[256];

    static {
        for (int c = 0x21; c <= 0x7E; c++) {
            CLASS[c] |= FIELD_VALUE | TARGET;
        }
        CLASS['#'] &= ~TARGET;
        for (int c = 0x80; c <= 0xFF; c++) CLASS[c] |= FIELD_VALUE;
        CLASS[' '] |= FIELD_VALUE;
        CLASS['\t'] |= FIELD_VALUE;
        for (int c = '0'; c <= '9'; c++) CLASS[c] |= TCHAR | HEX | HOST;
        for (int c = 'a'; c <= 'z'; c++) CLASS[c] |= TCHAR | HOST;
        for (int c = 'A'; c <= 'Z'; c++) CLASS[c] |= TCHAR | HOST;
        for (char c : "abcdefABCDEF".toCharArray()) CLASS[c] |= HEX;
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) CLASS[c] |= TCHAR;
        for (char c : "-._~%!$&'()*+,;=:[]".toCharArray()) CLASS[c] |= HOST;
    }

    static boolean is(byte b, int cls) {
        return (CLASS[b & 0xFF] & cls) != 0;
    }

    static int hexValue(byte b) {
        if (b <= '9') return b - '0';
        return (b | 0x20) - 'a' + 10; // only called on HEX bytes
    }

    /**
     * ASCII case-insensitive comparison of buf[s, e) with {@code lower}, which must contain only lower-case
     * letters, digits and '-': OR-ing 0x20 folds upper-case letters and maps no other tchar onto those.
     */
    static boolean equalsLower(byte[] buf, int s, int e, byte[] lower) {
        if (e - s != lower.length) return false;
        for (int i = 0; i < lower.length; i++) {
            if ((buf[s + i] | 0x20) != lower[i]) return false;
        }
        return true;
    }

    /**
     * True when the comma-separated list in buf[s, e) has an element equal (ASCII case-insensitively) to
     * {@code lower}. Elements are trimmed of OWS; empty elements are ignored (RFC 9110 §5.6.1).
     */
    static boolean listContains(byte[] buf, int s, int e, byte[] lower) {
        int i = s;
        while (i < e) {
            int comma = i;
            while (comma < e && buf[comma] != ',') comma++;
            int a = i, b = comma;
            while (a < b && isOws(buf[a])) a++;
            while (b > a && isOws(buf[b - 1])) b--;
            if (equalsLower(buf, a, b, lower)) return true;
            i = comma + 1;
        }
        return false;
    }

    static boolean isOws(byte b) {
        return b == ' ' || b == '\t';
    }

    /** Printable description of a byte for error messages. */
    static String describe(byte b) {
        int c = b & 0xFF;
        return (c > 0x20 && c < 0x7F) ? "'" + (char) c + "'" : String.format("0x%02X", c);
    }
}
