package io.weaseldb.commit;

import java.util.Arrays;

/**
 * Standard base64 with padding (RFC 4648 §4). The decoder is strict where {@link java.util.Base64#getDecoder()}
 * is lenient: it requires padding (length a multiple of 4), rejects the URL-safe alphabet and whitespace, and
 * rejects non-zero padding bits (§3.5) so that every byte string has exactly one accepted encoding. Decodes
 * straight from the JSON parser's character buffer, without an intermediate String; encodes straight into a
 * caller's array at an offset.
 */
final class StrictBase64 {
    private static final byte[] EMPTY = new byte[0];
    private static final byte[] ENCODE =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] DECODE = new byte[128];

    static {
        Arrays.fill(DECODE, (byte) -1);
        for (int i = 0; i < ENCODE.length; i++) {
            DECODE[ENCODE[i]] = (byte) i;
        }
    }

    private StrictBase64() { }

    /** Length of the padded encoding of {@code n} bytes. */
    static int encodedLength(int n) {
        return (n + 2) / 3 * 4;
    }

    /** Encodes {@code src} into {@code out} at {@code at} ({@link #encodedLength} bytes); returns the end. */
    static int encode(byte[] src, byte[] out, int at) {
        int i = 0;
        int whole = src.length - src.length % 3;
        while (i < whole) {
            int v = (src[i] & 0xFF) << 16 | (src[i + 1] & 0xFF) << 8 | (src[i + 2] & 0xFF);
            out[at] = ENCODE[v >>> 18];
            out[at + 1] = ENCODE[(v >>> 12) & 63];
            out[at + 2] = ENCODE[(v >>> 6) & 63];
            out[at + 3] = ENCODE[v & 63];
            i += 3;
            at += 4;
        }
        int rest = src.length - whole;
        if (rest > 0) {
            int v = (src[i] & 0xFF) << 16 | (rest == 2 ? (src[i + 1] & 0xFF) << 8 : 0);
            out[at] = ENCODE[v >>> 18];
            out[at + 1] = ENCODE[(v >>> 12) & 63];
            out[at + 2] = rest == 2 ? ENCODE[(v >>> 6) & 63] : (byte) '=';
            out[at + 3] = '=';
            at += 4;
        }
        return at;
    }

    /** Length the text decodes to if it is valid, or -1 when its length alone makes it invalid. */
    static int decodedLength(char[] s, int off, int len) {
        if ((len & 3) != 0) {
            return -1;
        }
        if (len == 0) {
            return 0;
        }
        int pad = s[off + len - 1] == '=' ? (s[off + len - 2] == '=' ? 2 : 1) : 0;
        return len / 4 * 3 - pad;
    }

    /** The decoded bytes, or null when the text is not strict standard base64 ({@link #explain} says why). */
    static byte[] decode(char[] s, int off, int len) {
        int outLen = decodedLength(s, off, len);
        if (outLen <= 0) {
            return outLen == 0 ? EMPTY : null;
        }
        byte[] out = new byte[outLen];
        int end = off + len - 4;  // the last quad may carry padding
        int o = 0;
        for (int i = off; i < end; i += 4) {
            int bits = sextet(s[i]) << 18 | sextet(s[i + 1]) << 12 | sextet(s[i + 2]) << 6 | sextet(s[i + 3]);
            if (bits < 0) {
                return null;
            }
            out[o] = (byte) (bits >> 16);
            out[o + 1] = (byte) (bits >> 8);
            out[o + 2] = (byte) bits;
            o += 3;
        }
        int a = sextet(s[end]);
        int b = sextet(s[end + 1]);
        int rest = outLen - o;
        if (rest == 1) {  // "xx=="
            if ((a | b) < 0 || (b & 0x0F) != 0) {
                return null;
            }
            out[o] = (byte) (a << 2 | b >> 4);
        } else {
            int c = sextet(s[end + 2]);
            if (rest == 2) {  // "xxx="
                if ((a | b | c) < 0 || (c & 0x03) != 0) {
                    return null;
                }
                out[o] = (byte) (a << 2 | b >> 4);
                out[o + 1] = (byte) (b << 4 | c >> 2);
            } else {
                int d = sextet(s[end + 3]);
                if ((a | b | c | d) < 0) {
                    return null;
                }
                out[o] = (byte) (a << 2 | b >> 4);
                out[o + 1] = (byte) (b << 4 | c >> 2);
                out[o + 2] = (byte) (c << 6 | d);
            }
        }
        return out;
    }

    /** Why {@link #decode} rejected the text (only called on the error path). */
    static String explain(char[] s, int off, int len) {
        if ((len & 3) != 0) {
            return "length " + len + " is not a multiple of 4 (standard base64 requires '=' padding)";
        }
        int pad = decodedLength(s, off, len) >= 0 && len > 0 ? len / 4 * 3 - decodedLength(s, off, len) : 0;
        for (int i = 0; i < len - pad; i++) {
            char c = s[off + i];
            if (c < 128 && DECODE[c] >= 0) {
                continue;
            }
            if (c == '-' || c == '_') {
                return "'" + c + "' at offset " + i + " is URL-safe base64; use the standard alphabet (+ and /)";
            }
            if (c == '=') {
                return "'=' at offset " + i + " before the end";
            }
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                return "whitespace at offset " + i;
            }
            return (c >= 0x21 && c < 0x7F ? "'" + c + "'" : String.format("U+%04X", (int) c))
                    + " at offset " + i + " is not a base64 character";
        }
        return "non-zero padding bits in the last group (non-canonical encoding)";
    }

    private static int sextet(char c) {
        return c < 128 ? DECODE[c] : -1;
    }
}
