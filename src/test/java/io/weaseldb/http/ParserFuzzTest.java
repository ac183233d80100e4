package io.weaseldb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weaseldb.http.HttpFeed.Result;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Property test with fixed seeds: random bytes and mutated valid requests. Whatever the input, parser and
 * decoder complete, ask for more, or throw {@link HttpException} — never another exception — and give the
 * same result however the input is split (so a call never depends on bytes outside {@code [start, end)};
 * the exact-size mode in {@link HttpFeed} turns any read past {@code end} into an exception). The timeout is
 * only a guard against a parser that stops making progress; it asserts nothing about speed. Memory: one parser
 * and decoder, reused across every input as a connection reuses them, allocate at most a fixed amount per
 * input (an error's exception and message), however large or hostile the input.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ParserFuzzTest {
    static final HttpLimits SMALL = new HttpLimits(48, 96, 64, 6);

    static final String[] CORPUS = {
        "GET /v1/version HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
        "POST /v1/commit HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"k\":\"value\"}",
        "POST /v1/commit HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nabcd\r\n3\r\nefg\r\n0\r\nT: 1\r\n\r\n",
        "GET http://h:1/p?q=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n",
        "\r\nOPTIONS * HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nokGET / HTTP/1.1\r\nHost: h\r\n\r\n",
        // A request line just under SMALL's 48 bytes: a byte or two inserted makes it a 414.
        "GET /near/the/small/limit/of/lines123 HTTP/1.1\r\nHost: h\r\n\r\n",
    };

    /** Bytes that matter to the grammar, so mutations reach deep states rather than failing at once. */
    static final byte[] INTERESTING = "\r\n \t:;=,\"/?#*0123456789abcdefABCDEF-HTTP/1.1\u0000\u007f\u00ff".getBytes(StandardCharsets.ISO_8859_1);

    private final Map<String, Integer> outcomes = new HashMap<>();

    @Test
    void randomBytes() {
        for (int seed = 0; seed < 1500; seed++) {
            Random r = new Random(seed);
            // Half the inputs start with a valid prefix so the random part lands in the fields or the body.
            byte[] prefix = switch (r.nextInt(4)) {
                case 0 -> "POST / HTTP/1.1\r\nHost: a\r\n".getBytes(StandardCharsets.US_ASCII);
                case 1 -> "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
                default -> new byte[0];
            };
            byte[] input = Arrays.copyOf(prefix, prefix.length + r.nextInt(200));
            for (int i = prefix.length; i < input.length; i++) {
                input[i] = r.nextInt(3) == 0 ? (byte) r.nextInt(256) : INTERESTING[r.nextInt(INTERESTING.length)];
            }
            check("random seed " + seed, input, r.nextBoolean() ? HttpLimits.DEFAULT : SMALL);
        }
        assertTrue(outcomes.containsKey("ok") && outcomes.containsKey("400 bad_request"), outcomes::toString);
    }

    @Test
    void mutatedValidRequests() {
        for (int seed = 0; seed < 3000; seed++) {
            Random r = new Random(seed);
            byte[] input = CORPUS[r.nextInt(CORPUS.length)].getBytes(StandardCharsets.ISO_8859_1);
            int mutations = 1 + r.nextInt(4);
            for (int m = 0; m < mutations; m++) input = mutate(input, r);
            check("mutation seed " + seed, input, r.nextInt(4) == 0 ? SMALL : HttpLimits.DEFAULT);
        }
        // The mutations must exercise both success and many distinct failures, or the test proves little.
        assertTrue(outcomes.getOrDefault("ok", 0) > 100, outcomes::toString);
        assertTrue(outcomes.size() >= 5, outcomes::toString);
    }

    /** Per-input allocation ceiling for a reused parser and decoder: an error's exception and message, no more. */
    static final long ALLOCATION_BOUND_BYTES = 4096;

    @Test
    void allocationIsBoundedWhateverTheInput() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(), "allocation counting");
        RequestParser parser = new RequestParser(HttpLimits.DEFAULT);
        BodyDecoder decoder = new BodyDecoder(HttpLimits.DEFAULT);
        // Inputs: the mutated corpus, random bytes, and large ones (up to the limits and past them) that a parser
        // buffering or copying what it sees would pay for in proportion to their size.
        List<byte[]> inputs = new ArrayList<>();
        for (int seed = 0; seed < 600; seed++) {
            Random r = new Random(seed);
            byte[] input = CORPUS[r.nextInt(CORPUS.length)].getBytes(StandardCharsets.ISO_8859_1);
            for (int m = 1 + r.nextInt(4); m > 0; m--) input = mutate(input, r);
            inputs.add(input);
            byte[] noise = new byte[r.nextInt(300)];
            for (int i = 0; i < noise.length; i++) noise[i] = INTERESTING[r.nextInt(INTERESTING.length)];
            inputs.add(noise);
        }
        inputs.add(("GET / HTTP/1.1\r\nHost: h\r\n" + "X-A: b\r\n".repeat(5000) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        inputs.add(("GET /" + "a".repeat(200_000) + " HTTP/1.1\r\nHost: h\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        inputs.add(("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + "1;e=v\r\nx\r\n".repeat(20_000) + "0\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        inputs.add(("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 500000\r\n\r\n" + "z".repeat(500_000)
                + "GET /ok HTTP/1.1\r\nHost: h\r\n\r\n".repeat(100)).getBytes(StandardCharsets.US_ASCII));
        for (byte[] input : inputs) drive(parser, decoder, input);  // warm-up: lazily sized state, JIT
        long worst = 0;
        String worstInput = "";
        for (byte[] input : inputs) {
            long before = threads.getCurrentThreadAllocatedBytes();
            drive(parser, decoder, input);
            long used = threads.getCurrentThreadAllocatedBytes() - before;
            if (used > worst) {
                worst = used;
                worstInput = escape(Arrays.copyOf(input, Math.min(input.length, 120)));
            }
        }
        assertTrue(worst <= ALLOCATION_BOUND_BYTES, "allocated " + worst + " bytes for one input: \"" + worstInput + "\"");
    }

    private static final BodySink DISCARD = (b, off, len) -> { };

    /** Parses {@code input} (whole, then again one byte at a time) as a connection would: pipelined heads and their bodies. */
    private static void drive(RequestParser parser, BodyDecoder decoder, byte[] input) {
        for (int step : new int[] {input.length, 1}) {
            parser.reset();
            int start = 0;
            int pos = 0;
            boolean inBody = false;
            try {
                for (int end = Math.min(step, input.length); ; end = Math.min(end + step, input.length)) {
                    while (true) {
                        if (!inBody) {
                            int headEnd = parser.parseHead(input, start, end);
                            if (headEnd < 0) break;
                            decoder.reset(parser.head());
                            inBody = true;
                            pos = headEnd;
                        }
                        pos += decoder.decode(input, pos, end, DISCARD);
                        if (!decoder.isDone()) break;
                        inBody = false;
                        parser.reset();
                        start = pos;
                        if (start == end) break;
                    }
                    if (end == input.length) break;
                }
            } catch (HttpException expected) {
                // a rejected input: the connection would answer and close
            }
        }
    }

    @Test
    void corpusIsValid() {
        for (String c : CORPUS) {
            Result r = HttpFeed.feed(c);
            assertEquals(0, r.status(), r::toString);
            assertEquals("idle", r.tail(), r::toString);
        }
    }

    private void check(String what, byte[] input, HttpLimits limits) {
        Result result;
        try {
            result = HttpFeed.feed(input, limits, 3);
        } catch (Throwable t) {
            throw new AssertionError(what + " on input \"" + escape(input) + "\": " + t, t);
        }
        String key = result.status() == 0 ? "ok" : result.status() + " " + result.code();
        outcomes.merge(key, 1, Integer::sum);
    }

    static byte[] mutate(byte[] in, Random r) {
        if (in.length == 0) return new byte[] {INTERESTING[r.nextInt(INTERESTING.length)]};
        int at = r.nextInt(in.length);
        switch (r.nextInt(5)) {
            case 0 -> { // flip a bit
                byte[] out = in.clone();
                out[at] ^= (byte) (1 << r.nextInt(8));
                return out;
            }
            case 1 -> { // insert a grammar byte
                byte[] out = new byte[in.length + 1];
                System.arraycopy(in, 0, out, 0, at);
                out[at] = INTERESTING[r.nextInt(INTERESTING.length)];
                System.arraycopy(in, at, out, at + 1, in.length - at);
                return out;
            }
            case 2 -> { // delete a byte
                byte[] out = new byte[in.length - 1];
                System.arraycopy(in, 0, out, 0, at);
                System.arraycopy(in, at + 1, out, at, in.length - at - 1);
                return out;
            }
            case 3 -> { // replace a byte
                byte[] out = in.clone();
                out[at] = INTERESTING[r.nextInt(INTERESTING.length)];
                return out;
            }
            default -> { // duplicate a range (repeated headers, chunks, lines)
                int len = 1 + r.nextInt(Math.min(40, in.length - at));
                byte[] out = Arrays.copyOf(in, in.length + len);
                System.arraycopy(in, at, out, at + len, in.length - at);
                return out;
            }
        }
    }

    static String escape(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            int c = x & 0xFF;
            if (c == '\r') sb.append("\\r");
            else if (c == '\n') sb.append("\\n");
            else if (c < 0x20 || c >= 0x7F) sb.append(String.format("\\x%02x", c));
            else sb.append((char) c);
        }
        return sb.toString();
    }
}
