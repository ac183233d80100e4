package io.weaseldb.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Feeds a body to fresh parsers whole, in 1-byte slices, and in random splits, and insists they all agree:
 * the same request, or the same error message.
 */
final class ParseHarness {
    /** Either the parsed request or the error message. */
    record Result(CommitRequest request, String error) { }

    private ParseHarness() { }

    static Result parseEveryWay(Supplier<CommitRequestParser> parsers, byte[] body) {
        Result whole = parse(parsers.get(), body, new int[] {body.length});
        int[] ones = new int[body.length];
        java.util.Arrays.fill(ones, 1);
        assertEquals(whole, parse(parsers.get(), body, ones), "1-byte slices disagree with the whole body");
        Random random = new Random(body.length * 31L + 7);
        for (int round = 0; round < 5; round++) {
            assertEquals(whole, parse(parsers.get(), body, randomSplit(random, body.length)), "random split disagrees");
        }
        return whole;
    }

    static Result parseEveryWay(Supplier<CommitRequestParser> parsers, String body) {
        return parseEveryWay(parsers, body.getBytes(StandardCharsets.UTF_8));
    }

    /** Feeds slices of the given lengths, each from its own array that is scribbled over after the call. */
    static Result parse(CommitRequestParser parser, byte[] body, int[] sliceLengths) {
        int off = 0;
        for (int len : sliceLengths) {
            // Copy into a padded scratch array at an offset, and destroy it after the call: the parser must
            // not keep reading a slice after feed returns.
            byte[] scratch = new byte[len + 6];
            System.arraycopy(body, off, scratch, 3, len);
            parser.feed(scratch, 3, len);
            java.util.Arrays.fill(scratch, (byte) '#');
            off += len;
        }
        try {
            return new Result(parser.finish(), null);
        } catch (CommitRequestException e) {
            return new Result(null, e.getMessage());
        }
    }

    private static int[] randomSplit(Random random, int length) {
        java.util.ArrayList<Integer> lengths = new java.util.ArrayList<>();
        int left = length;
        while (left > 0) {
            int n = 1 + random.nextInt(Math.min(left, 17));
            lengths.add(n);
            left -= n;
        }
        return lengths.stream().mapToInt(Integer::intValue).toArray();
    }
}
