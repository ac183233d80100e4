package io.weaseldb.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Utf8ValidatorTest {
    /** Offset of the first invalid character (or of the one the end cuts off), or -1. */
    private static long firstError(byte[] b, int... sliceLengths) {
        Utf8Validator v = new Utf8Validator();
        int off = 0;
        for (int len : sliceLengths) {
            if (v.feed(b, off, len) >= 0) return v.errorOffset();
            off += len;
        }
        if (v.feed(b, off, b.length - off) >= 0) return v.errorOffset();
        return v.complete() ? -1 : v.errorOffset();
    }

    private static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) out[i] = (byte) b[i];
        return out;
    }

    @Test
    void acceptsEveryWellFormedLengthSplitAnywhere() {
        byte[] text = "plain ascii, then é (2), € (3), 😀 (4), U+10FFFF \udbff\udfff and U+FFFF \uffff"
            .getBytes(StandardCharsets.UTF_8);
        assertEquals(-1, firstError(text));
        for (int cut = 0; cut <= text.length; cut++) {
            assertEquals(-1, firstError(text, cut), "split at " + cut);
        }
        int[] ones = new int[text.length];
        java.util.Arrays.fill(ones, 1);
        assertEquals(-1, firstError(text, ones));
    }

    @Test
    void refusesWhatALenientDecoderWouldRewrite() {
        assertEquals(2, firstError(bytes('a', 'b', 0xC0, 0xAF)), "overlong '/' in two bytes");
        assertEquals(1, firstError(bytes('a', 0xE0, 0x80, 0xAF)), "overlong '/' in three bytes: E0 needs A0..BF next");
        assertEquals(1, firstError(bytes('a', 0xF0, 0x80, 0x80, 0xAF)), "overlong in four bytes");
        assertEquals(1, firstError(bytes('a', 0xED, 0xA0, 0x80)), "an encoded surrogate");
        assertEquals(1, firstError(bytes('a', 0xF4, 0x90, 0x80, 0x80)), "past U+10FFFF");
        assertEquals(0, firstError(bytes(0xF5, 0x80, 0x80, 0x80)), "no such lead byte");
        assertEquals(0, firstError(bytes(0x80)), "a continuation byte without its lead");
        assertEquals(0, firstError(bytes(0xE2, 0x82, 'x')), "a sequence interrupted");
        assertEquals(0, firstError(bytes(0xFF)));
        // Cut off at the end: the character the end cuts off.
        assertEquals(1, firstError(bytes('a', 0xE2, 0x82)));
        assertEquals(1, firstError(bytes('a', 0xE2, 0x82), 2));
        // The error's position does not depend on where the slices fall, including inside the eight-byte skip.
        byte[] late = bytes('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 0xC3, 0x28);
        for (int cut = 0; cut <= late.length; cut++) {
            assertEquals(10, firstError(late, cut), "split at " + cut);
        }
    }

    /** Random mixes of ASCII and high bytes: the verdict is always the JDK's strict decoder's. */
    @Test
    void agreesWithTheJdksStrictDecoder() {
        Random random = new Random(42);
        CharsetDecoder strict = StandardCharsets.UTF_8.newDecoder();
        int invalid = 0;
        for (int round = 0; round < 20_000; round++) {
            byte[] b = new byte[random.nextInt(24)];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) (random.nextInt(3) == 0 ? 0x80 + random.nextInt(0x80) : random.nextInt(0x80));
            }
            boolean jdk;
            try {
                strict.decode(ByteBuffer.wrap(b));
                jdk = true;
            } catch (CharacterCodingException e) {
                jdk = false;
            }
            int cut = b.length == 0 ? 0 : random.nextInt(b.length + 1);
            assertEquals(jdk, firstError(b, cut) < 0, () -> java.util.HexFormat.ofDelimiter(" ").formatHex(b));
            if (!jdk) invalid++;
        }
        assertTrue(invalid > 1000 && invalid < 19_000, "the mix exercises both verdicts: " + invalid);
    }
}
