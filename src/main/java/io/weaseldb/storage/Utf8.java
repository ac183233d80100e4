package io.weaseldb.storage;

import java.nio.ByteBuffer;

/** UTF-8 encoding straight into a buffer, so appending a record allocates no byte[] for its request id. */
public final class Utf8 {
    private Utf8() { }

    /** Encoded length of {@code s}; rejects unpaired surrogates (which {@code String.getBytes} would silently replace). */
    public static int encodedLength(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) n += 1;
            else if (c < 0x800) n += 2;
            else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("request id has an unpaired surrogate at index " + i);
            } else n += 3;
        }
        return n;
    }

    /** Encodes {@code s}, already checked by {@link #encodedLength}. */
    static void encode(String s, ByteBuffer b) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                b.put((byte) c);
            } else if (c < 0x800) {
                b.put((byte) (0xC0 | c >> 6)).put((byte) (0x80 | c & 0x3F));
            } else if (Character.isHighSurrogate(c)) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                b.put((byte) (0xF0 | cp >> 18)).put((byte) (0x80 | cp >> 12 & 0x3F))
                 .put((byte) (0x80 | cp >> 6 & 0x3F)).put((byte) (0x80 | cp & 0x3F));
            } else {
                b.put((byte) (0xE0 | c >> 12)).put((byte) (0x80 | c >> 6 & 0x3F)).put((byte) (0x80 | c & 0x3F));
            }
        }
    }
}
