package io.weaseldb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Drives {@link RequestParser} and {@link BodyDecoder} the way a connection does — parse a head with a growing
 * {@code end}, decode its body, reset, parse the next pipelined request from where the body ended — while
 * the input arrives whole, one byte at a time, or in random pieces. Every mode must give the same
 * {@link Result}; that is what "incremental" means.
 *
 * <p>Bytes not yet "arrived" are random poison, and the body decoder gets each piece in a fresh array at a
 * random offset (it may not look back at consumed bytes), so reading outside {@code [start, end)} shows up as
 * a different result between modes, or as an exception in the exact-size mode.
 */
final class HttpFeed {
    private HttpFeed() { }

    static final int RANDOM_SPLIT_SEEDS = 25;

    /** One complete request as the handler would see it. */
    record Req(Method method, String methodName, String target, String path, String query, int versionMinor,
               List<String> headers, long contentLength, boolean chunked, boolean keepAlive, boolean expectContinue,
               int headLength, int headEnd, String body, long bodyBytes, int end) {
        String header(String name) {
            for (String h : headers) {
                int c = h.indexOf(':');
                if (h.substring(0, c).equalsIgnoreCase(name)) return h.substring(c + 2);
            }
            return null;
        }
    }

    /**
     * What happened to the whole input: the requests completed, then either an error (status != 0) or how the
     * input ended: {@code idle} (between requests), {@code head-incomplete} or {@code body-incomplete}.
     */
    record Result(List<Req> requests, int status, String code, String message, String tail) {
        Req only() {
            assertEquals(0, status, () -> "unexpected error " + status + " " + message);
            assertEquals(1, requests.size(), "requests");
            assertEquals("idle", tail, "tail");
            return requests.get(0);
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Joins lines with CRLF (add "" "" at the end for the empty line ending a head). */
    static String lines(String... lines) {
        return String.join("\r\n", lines);
    }

    static Result feed(String input) {
        return feed(bytes(input), HttpLimits.DEFAULT);
    }

    static Result feed(String input, HttpLimits limits) {
        return feed(bytes(input), limits);
    }

    /** Runs every mode and asserts they agree; returns the common result. */
    static Result feed(byte[] input, HttpLimits limits) {
        return feed(input, limits, RANDOM_SPLIT_SEEDS);
    }

    static Result feed(byte[] input, HttpLimits limits, int randomSeeds) {
        Result whole = run(input, limits, new int[] {input.length}, 0, true, new Random(0));
        Result bytewise = run(input, limits, oneByteAtATime(input.length), 7, false, new Random(1));
        assertEquals(whole, bytewise, "whole vs one byte at a time");
        for (int seed = 0; seed < randomSeeds; seed++) {
            Random r = new Random(seed);
            Result split = run(input, limits, randomSplits(input.length, r), r.nextInt(32), r.nextBoolean(), r);
            assertEquals(whole, split, "whole vs random split seed " + seed);
        }
        return whole;
    }

    static void assertStatus(int status, String input) {
        assertStatus(status, input, HttpLimits.DEFAULT);
    }

    static void assertStatus(int status, String input, HttpLimits limits) {
        Result r = feed(input, limits);
        assertEquals(status, r.status(), () -> "expected " + status + " but got " + r);
    }

    static int[] oneByteAtATime(int length) {
        int[] ends = new int[length];
        for (int i = 0; i < length; i++) ends[i] = i + 1;
        return ends;
    }

    /** Increasing ends finishing at {@code length}: sometimes tiny pieces, sometimes large ones. */
    static int[] randomSplits(int length, Random r) {
        int maxPiece = switch (r.nextInt(3)) {
            case 0 -> 3;
            case 1 -> 40;
            default -> Math.max(1, length / 2);
        };
        List<Integer> ends = new ArrayList<>();
        int e = 0;
        while (e < length) {
            e = Math.min(length, e + 1 + r.nextInt(maxPiece));
            ends.add(e);
        }
        if (ends.isEmpty()) ends.add(0);
        return ends.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Feeds {@code input} revealing it up to each of {@code ends} in turn, at {@code offset} in a buffer that is
     * exactly as long as needed ({@code exact}) or padded with poison.
     */
    static Result run(byte[] input, HttpLimits limits, int[] ends, int offset, boolean exact, Random random) {
        byte[] buf = new byte[offset + input.length + (exact ? 0 : 16)];
        random.nextBytes(buf);
        RequestParser parser = new RequestParser(limits);
        BodyDecoder decoder = new BodyDecoder(limits);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        BodySink sink = (b, o, l) -> {
            assertTrue(l > 0, "empty slice delivered");
            body.write(b, o, l);
        };
        List<Req> requests = new ArrayList<>();
        Req head = null; // complete head whose body is being decoded
        int requestStart = offset;
        int pos = offset;
        int revealed = 0;
        try {
            for (int e : ends) {
                System.arraycopy(input, revealed, buf, offset + revealed, e - revealed);
                revealed = e;
                int end = offset + e;
                while (true) {
                    if (head == null) {
                        int r = parser.parseHead(buf, requestStart, end);
                        if (r < 0) break;
                        assertTrue(r > requestStart && r <= end, "head end " + r + " outside the fed bytes");
                        head = snapshot(parser.head(), r - offset);
                        decoder.reset(parser.head());
                        body.reset();
                        pos = r;
                    }
                    if (!decoder.isDone()) {
                        if (pos == end) break;
                        int available = end - pos;
                        int pad = exact ? 0 : random.nextInt(8);
                        byte[] piece = new byte[pad + available + (exact ? 0 : 8)];
                        random.nextBytes(piece);
                        System.arraycopy(buf, pos, piece, pad, available);
                        int n = decoder.decode(piece, pad, pad + available, sink);
                        assertTrue(n >= 0 && n <= available, "consumed " + n + " of " + available);
                        if (!decoder.isDone() && n != available) fail("decoder stopped at " + n + " of " + available + " before the body ended");
                        pos += n;
                        if (!decoder.isDone()) break;
                    }
                    requests.add(withBody(head, body, decoder.bodyBytes(), pos - offset));
                    head = null;
                    parser.reset();
                    requestStart = pos;
                    if (requestStart == end) break;
                }
            }
        } catch (HttpException ex) {
            return new Result(requests, ex.status(), ex.code(), ex.getMessage(), "error");
        }
        String tail = head != null ? "body-incomplete" : parser.started() ? "head-incomplete" : "idle";
        return new Result(requests, 0, null, null, tail);
    }

    private static Req snapshot(RequestHead h, int headEnd) {
        List<String> headers = new ArrayList<>();
        for (int i = 0; i < h.headerCount(); i++) headers.add(h.headerName(i) + ": " + h.headerValue(i));
        return new Req(h.method(), h.methodName(), h.target(), h.path(), h.query(), h.versionMinor(), List.copyOf(headers),
                h.contentLength(), h.chunked(), h.keepAlive(), h.expectContinue(), h.headLength(), headEnd, null, 0, 0);
    }

    private static Req withBody(Req h, ByteArrayOutputStream body, long bodyBytes, int end) {
        return new Req(h.method(), h.methodName(), h.target(), h.path(), h.query(), h.versionMinor(), h.headers(),
                h.contentLength(), h.chunked(), h.keepAlive(), h.expectContinue(), h.headLength(), h.headEnd(),
                body.toString(StandardCharsets.ISO_8859_1), bodyBytes, end);
    }
}
