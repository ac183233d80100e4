package io.weaseldb.http;

import static io.weaseldb.http.HttpFeed.assertStatus;
import static io.weaseldb.http.HttpFeed.feed;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weaseldb.http.HttpFeed.Req;
import io.weaseldb.http.HttpFeed.Result;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Bodies decoded through {@link HttpFeed}: whole, byte by byte and in random pieces, with pipelined followers. */
class BodyDecoderTest {
    static final String NEXT = "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";

    static String chunked(String body) {
        return "POST /v1/commit HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + body;
    }

    static String sized(long length, String body) {
        return "POST /v1/commit HTTP/1.1\r\nHost: a\r\nContent-Length: " + length + "\r\n\r\n" + body;
    }

    /** Decodes a chunked body and checks the following pipelined request starts right after it. */
    static String decodeChunked(String body) {
        String raw = chunked(body);
        Result r = feed(raw + NEXT);
        assertEquals(0, r.status(), r::toString);
        assertEquals(2, r.requests().size(), r::toString);
        assertEquals(raw.length(), r.requests().get(0).end(), "body must end exactly at the last CRLF");
        assertEquals("/next", r.requests().get(1).path());
        return r.requests().get(0).body();
    }

    @Nested
    class ContentLengthBodies {
        @Test
        void deliversExactlyTheDeclaredBytesAndLeavesTheRest() {
            String raw = sized(11, "hello world");
            Result r = feed(raw + NEXT);
            assertEquals(2, r.requests().size());
            Req first = r.requests().get(0);
            assertEquals("hello world", first.body());
            assertEquals(11, first.bodyBytes());
            assertEquals(raw.length(), first.end());
        }

        @Test
        void binaryBodyIsOpaque() {
            String body = "\r\n\u0000\u00ff0\r\n\r\nGET / HTTP/1.1\r\n";
            assertEquals(body, feed(sized(body.length(), body)).only().body());
        }

        @Test
        void zeroLengthHasNoBody() {
            Result r = feed(sized(0, "") + NEXT);
            assertEquals("", r.requests().get(0).body());
            assertEquals(2, r.requests().size());
        }

        @Test
        void incompleteBodyWaits() {
            Result r = feed(sized(10, "short"));
            assertEquals("body-incomplete", r.tail());
            assertTrue(r.requests().isEmpty());
        }
    }

    @Nested
    class Chunked {
        @Test
        void simpleChunks() {
            assertEquals("hello world", decodeChunked("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
        }

        @Test
        void emptyBody() {
            assertEquals("", decodeChunked("0\r\n\r\n"));
        }

        @Test
        void hexSizesAnyCaseWithLeadingZeros() {
            String data = "x".repeat(0x1aF);
            assertEquals(data, decodeChunked("1aF\r\n" + data + "\r\n000\r\n\r\n"));
            assertEquals("abc", decodeChunked("0000000000000003\r\nabc\r\n0\r\n\r\n")); // 16 digits is the cap
        }

        @Test
        void dataMayContainAnything() {
            String data = "0\r\n\r\n\n\r\u0000\u00ff";
            assertEquals(data, decodeChunked(Integer.toHexString(data.length()) + "\r\n" + data + "\r\n0\r\n\r\n"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"3;a", "3;a=b", "3 ;a", "3\t; a = b", "3;a;b=c;d", "3;a=b ;c", "3;a =b", "3;!#$%&'*+-.^_`|~=x"})
        void tokenExtensionsAreAcceptedAndIgnored(String sizeLine) {
            assertEquals("abc", decodeChunked(sizeLine + "\r\nabc\r\n0;last=1\r\n\r\n"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"-1", "+1", "0x1", " 1", "1 ", "1\t", "g", "", ";a", "1.0", "00000000000000001", "1_0"})
        void badChunkSizesAre400(String size) {
            assertStatus(400, chunked(size + "\r\nx\r\n0\r\n\r\n"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"1;a=\"b\"", "1;a=\"\"", "1;", "1;=b", "1;a=", "1;a=b ", "1;a ", "1; ", "1;a=b=c",
            "1;a\u0000", "1;a=\u00e9", "1;a;;b", "1;a,b"})
        void badExtensionsAre400(String sizeLine) {
            assertStatus(400, chunked(sizeLine + "\r\nx\r\n0\r\n\r\n"));
        }

        @Test
        void bareLfOrBareCrInChunkLinesIs400() {
            assertStatus(400, chunked("1\nx\r\n0\r\n\r\n"));
            assertStatus(400, chunked("1;a\nx\r\n0\r\n\r\n"));
            assertStatus(400, chunked("1;a=b\nx\r\n0\r\n\r\n"));
            assertStatus(400, chunked("1\rx\r\n0\r\n\r\n"));
            assertStatus(400, chunked("0\n\r\n"));
            assertStatus(400, chunked("0\r\n\n"));
            assertStatus(400, chunked("0\r\n\rx"));
        }

        @Test
        void extensionLengthIsBounded() {
            int max = BodyDecoder.MAX_EXTENSION_BYTES;
            String ok = ";a=" + "v".repeat(max - 4) + "\r"; // ';' ... CR: exactly max bytes after the size
            assertEquals(max, ok.length());
            assertEquals("x", decodeChunked("1" + ok + "\nx\r\n0\r\n\r\n"));
            assertStatus(400, chunked("1;a=" + "v".repeat(max - 3) + "\r\nx\r\n0\r\n\r\n"));
            assertStatus(400, chunked("1;a=" + "v".repeat(10 * max))); // no end in sight
        }

        @Test
        void chunkDataMustBeFollowedByCrlf() {
            assertStatus(400, chunked("3\r\nabcd\r\n0\r\n\r\n"));
            assertStatus(400, chunked("3\r\nabc\n0\r\n\r\n"));
            assertStatus(400, chunked("3\r\nabc\rx0\r\n\r\n"));
            assertStatus(400, chunked("3\r\nabc0\r\n\r\n"));
        }

        @Test
        void trailersAreParsedAndDiscarded() {
            assertEquals("abc", decodeChunked("3\r\nabc\r\n0\r\nX-Sum: 123\r\nX-Other:  v \r\n\r\n"));
        }

        @Test
        void badTrailersFollowTheFieldRules() {
            assertStatus(400, chunked("0\r\nX-A: b\r\n folded\r\n\r\n"));
            assertStatus(400, chunked("0\r\nX-A : b\r\n\r\n"));
            assertStatus(400, chunked("0\r\nX-A: b\n\r\n"));
            assertStatus(400, chunked("0\r\nX-A: b\u0000\r\n\r\n"));
            assertStatus(400, chunked("0\r\n X-A: b\r\n\r\n"));
        }

        @Test
        void trailersOverTheHeaderLimitAre431EvenIncomplete() {
            HttpLimits limits = new HttpLimits(8192, 64, 1 << 20, 100);
            assertEquals(0, feed(chunked("0\r\nX: " + "v".repeat(59) + "\r\n\r\n"), limits).status());
            assertStatus(431, chunked("0\r\nX: " + "v".repeat(60) + "\r\n\r\n"), limits);
            assertStatus(431, chunked("0\r\nX: " + "v".repeat(1000)), limits);
            assertStatus(431, chunked("0\r\n" + "A: 1\r\n".repeat(101)));
        }

        @Test
        void incompleteChunkedBodyWaits() {
            assertEquals("body-incomplete", feed(chunked("5\r\nhel")).tail());
            assertEquals("body-incomplete", feed(chunked("5\r\nhello\r\n0\r\n")).tail());
            assertEquals("body-incomplete", feed(chunked("5\r\nhello\r\n0\r\nX: y\r\n")).tail());
        }

        @Test
        void bodyAtTheLimitIsAcceptedOneMoreIs413() {
            HttpLimits limits = new HttpLimits(8192, 16384, 10, 100);
            assertEquals("0123456789", feed(chunked("4\r\n0123\r\n6\r\n456789\r\n0\r\n\r\n"), limits).only().body());
            Result r = feed(chunked("4\r\n0123\r\n7\r\n4567890\r\n0\r\n\r\n"), limits);
            assertEquals(413, r.status());
            assertEquals("payload_too_large", r.code());
        }

        @Test
        void over413AsSoonAsTheSizeCrossesTheLimit() {
            HttpLimits limits = new HttpLimits(8192, 16384, 10, 100);
            assertStatus(413, chunked("5\r\nhello\r\n6"), limits);                // data never sent
            assertStatus(413, chunked("fffffffffffffffffffffffffff"), limits);     // before the digit cap
            assertStatus(413, chunked("5\r\nhello\r\n5\r\nworld\r\n1\r\n"), limits);
        }

        @Test
        void bytesBeyondTheLimitAreNeverDelivered() throws HttpException {
            HttpLimits limits = new HttpLimits(8192, 16384, 10, 100);
            BodyDecoder d = new BodyDecoder(limits);
            d.reset(chunkedHead(limits));
            byte[] in = "5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            HttpException e = assertThrows(HttpException.class, () -> d.decode(in, 0, in.length, out::write));
            assertEquals(413, e.status());
            assertEquals("hello", out.toString(StandardCharsets.US_ASCII));
            assertEquals(5, d.bodyBytes());
        }

        @Test
        void chunkSizeOverflowIs400() {
            HttpLimits unlimited = new HttpLimits(8192, 16384, Long.MAX_VALUE, 100);
            assertStatus(400, chunked("8000000000000000\r\n"), unlimited);
            assertEquals("body-incomplete", feed(chunked("7fffffffffffffff\r\nabc"), unlimited).tail());
        }

        @Test
        void randomBodiesInRandomChunks() {
            Random r = new Random(42);
            for (int i = 0; i < 20; i++) {
                byte[] data = new byte[r.nextInt(3000)];
                r.nextBytes(data);
                StringBuilder sb = new StringBuilder();
                int at = 0;
                while (at < data.length) {
                    int n = Math.min(data.length - at, 1 + r.nextInt(700));
                    sb.append(r.nextBoolean() ? Integer.toHexString(n) : Integer.toHexString(n).toUpperCase());
                    if (r.nextInt(4) == 0) sb.append(";ext=").append(i);
                    sb.append("\r\n").append(new String(data, at, n, StandardCharsets.ISO_8859_1)).append("\r\n");
                    at += n;
                }
                sb.append("0\r\n\r\n");
                String raw = chunked(sb.toString());
                Result res = HttpFeed.feed(HttpFeed.bytes(raw + NEXT), HttpLimits.DEFAULT, 5);
                assertEquals(2, res.requests().size(), res::toString);
                assertArrayEquals(data, res.requests().get(0).body().getBytes(StandardCharsets.ISO_8859_1));
                assertEquals(data.length, res.requests().get(0).bodyBytes());
            }
        }
    }

    @Nested
    class Api {
        @Test
        void noBodyIsDoneAtOnce() throws HttpException {
            BodyDecoder d = new BodyDecoder(HttpLimits.DEFAULT);
            d.reset(new RequestHead(1)); // neither chunked nor Content-Length
            assertTrue(d.isDone());
            byte[] b = "GET".getBytes(StandardCharsets.US_ASCII);
            assertEquals(0, d.decode(b, 0, b.length, BodySink.DISCARD));
            assertEquals(0, d.bodyBytes());
        }

        @Test
        void consumedBytesMayBeDroppedBetweenCalls() throws HttpException {
            // Each call gets only the new bytes in a fresh array: the decoder keeps counters, never offsets.
            BodyDecoder d = new BodyDecoder(HttpLimits.DEFAULT);
            d.reset(chunkedHead(HttpLimits.DEFAULT));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (String piece : new String[] {"3;a", "=b\r", "\nab", "c\r\n0\r", "\nT: v", "\r\n\r", "\nrest"}) {
                byte[] in = piece.getBytes(StandardCharsets.US_ASCII);
                int n = d.decode(in, 0, in.length, out::write);
                if (!d.isDone()) assertEquals(in.length, n);
                else assertEquals("\nrest".length() - 4, n);
            }
            assertTrue(d.isDone());
            assertEquals("abc", out.toString(StandardCharsets.US_ASCII));
        }

        @Test
        void resetReusesTheDecoder() throws HttpException {
            BodyDecoder d = new BodyDecoder(HttpLimits.DEFAULT);
            d.reset(chunkedHead(HttpLimits.DEFAULT));
            byte[] in = "1\r\nx\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            assertEquals(in.length, d.decode(in, 0, in.length, BodySink.DISCARD));
            assertTrue(d.isDone());
            d.reset(chunkedHead(HttpLimits.DEFAULT));
            assertFalse(d.isDone());
            assertEquals(0, d.bodyBytes());
            assertEquals(in.length, d.decode(in, 0, in.length, BodySink.DISCARD));
            assertEquals(1, d.bodyBytes());
        }
    }

    static RequestHead chunkedHead(HttpLimits limits) throws HttpException {
        RequestParser p = new RequestParser(limits);
        p.reset();
        byte[] b = chunked("").getBytes(StandardCharsets.US_ASCII);
        assertEquals(b.length, p.parseHead(b, 0, b.length));
        return p.head();
    }
}
