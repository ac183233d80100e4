package io.weaseldb.commit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StrictBase64Test {
    private static byte[] decode(String s) {
        return StrictBase64.decode(s.toCharArray(), 0, s.length());
    }

    @Test
    void decodesEverythingTheStandardEncoderProduces() {
        Random random = new Random(42);
        for (int length = 0; length < 70; length++) {
            for (int round = 0; round < 20; round++) {
                byte[] bytes = new byte[length];
                random.nextBytes(bytes);
                String text = Base64.getEncoder().encodeToString(bytes);
                char[] padded = ("xx" + text + "yy").toCharArray();  // decodes from an offset
                assertArrayEquals(bytes, StrictBase64.decode(padded, 2, text.length()), text);
                assertEquals(length, StrictBase64.decodedLength(padded, 2, text.length()));
            }
        }
    }

    @Test
    void rejectsWhatTheJdkDecoderLetsThrough() {
        // java.util.Base64.getDecoder() accepts both of these; RFC 4648 §4 with padding does not.
        assertArrayEquals(new byte[] {'a'}, Base64.getDecoder().decode("YQ"));
        assertArrayEquals(new byte[] {'a'}, Base64.getDecoder().decode("YR=="));
        assertNull(decode("YQ"));
        assertNull(decode("YR=="));
        assertNull(decode("YWJ="));
        assertNull(decode("YWI-"));
        assertNull(decode("YWI_"));
        assertNull(decode("YW I"));
        assertNull(decode("YQ==YQ=="));
        assertNull(decode("=YWJ"));
        assertNull(decode("Y==="));
        assertNull(decode("YWJjé==="));
        assertArrayEquals(new byte[0], decode(""));
    }
}
