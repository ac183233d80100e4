package io.weaseldb.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weaseldb.server.TestServer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Optimistic preconditions through HTTP: {point_read, range_read} × {write, delete, range_delete} × the
 * conflicting commit's version before / at / after the precondition's version, plus range boundaries.
 * One server for all cases; each case works under its own key prefix, so cases cannot see each other.
 * Keys here are ISO-8859-1 strings, so every char is one key byte (needed for the unsigned-order cases).
 */
class ConflictMatrixHttpTest {
    enum Read { POINT_READ, RANGE_READ }

    enum Op { WRITE, DELETE, RANGE_DELETE }

    /** Where the conflicting commit's version W lies relative to the precondition's version P. */
    enum When {
        BEFORE(+1), AT(0), AFTER(-1);

        /** P - W */
        final int readOffset;

        When(int readOffset) {
            this.readOffset = readOffset;
        }
    }

    static TestServer srv;
    static Api api;

    @BeforeAll
    static void start() {
        srv = TestServer.start();
        api = new Api(srv.port);
    }

    @AfterAll
    static void stop() {
        srv.close();
    }

    static Stream<Arguments> matrix() {
        List<Arguments> all = new ArrayList<>();
        for (Read r : Read.values()) for (Op o : Op.values()) for (When w : When.values()) all.add(Arguments.of(r, o, w));
        return all.stream();
    }

    @ParameterizedTest(name = "{0} x {1} committed {2} the read version")
    @MethodSource("matrix")
    void preconditionFailsOnlyWhenTheKeyWasTouchedAfterItsVersion(Read read, Op op, When when) {
        String p = "m/" + read + "/" + op + "/" + when + "/";
        String key = p + "k";
        String touch = switch (op) {
            case WRITE -> w(key);
            case DELETE -> d(key);
            case RANGE_DELETE -> rd(p + "j", p + "l");
        };
        long written = commit(touch);
        commit(w("filler/" + p));  // so that P = W + 1 exists
        long at = written + when.readOffset;
        String precondition = read == Read.POINT_READ ? pr(key, at) : rr(p + "a", p + "z", at);
        int expected = when == When.AFTER ? 409 : 200;

        // The version given on the precondition itself...
        expect(expected, "{\"preconditions\":[" + precondition + "],\"operations\":[" + w("other/" + p) + "]}");
        // ...and by read_version (a conflict takes no version, a success commits the same write again).
        String viaReadVersion = read == Read.POINT_READ ? pr(key, null) : rr(p + "a", p + "z", null);
        expect(expected, "{\"read_version\":" + at + ",\"preconditions\":[" + viaReadVersion + "]}");
    }

    @Test
    void rangeReadBeginIsInclusiveAndEndExclusive() {
        long v = commit(w("b/k"));
        expect(409, reads(rr("b/k", "b/l", v - 1)));
        expect(200, reads(rr("b/a", "b/k", v - 1)));
        expect(409, reads(rr("b/a", "b/k\0", v - 1)));  // the smallest end that includes b/k
        // A key's extensions are after it: b/k is outside [b/a, b/k) but b/k\0 would be inside [b/k, b/l).
        long v2 = commit(w("b/k\0"));
        expect(200, reads(rr("b/a", "b/k", v2 - 1)));
        expect(409, reads(rr("b/k\0", "b/k\1", v2 - 1)));
    }

    @Test
    void emptyRangesNeverConflict() {
        long v = commit(w("e/k"), d("e/l"), rd("e/m", "e/n"));
        for (String k : List.of("e/k", "e/l", "e/m")) expect(200, reads(rr(k, k, v - 1)));
        expect(200, reads(rr("", "", 0L)));
        // An empty range_delete touches no key.
        long v2 = commit(rd("e2/k", "e2/k"));
        expect(200, reads(pr("e2/k", v2 - 1), rr("e2/", "e2/z", v2 - 1)));
    }

    @Test
    void rangeDeleteCoversItsBeginButNotItsEnd() {
        long v = commit(rd("r/c", "r/e"));
        expect(409, reads(pr("r/c", v - 1)));
        expect(409, reads(pr("r/d\u00ff\u00ff", v - 1)));
        expect(200, reads(pr("r/e", v - 1)));
        expect(200, reads(pr("r/b\u00ff", v - 1)));
        // Against ranges: adjacent on either side does not overlap, any overlap conflicts.
        expect(200, reads(rr("r/a", "r/c", v - 1)));
        expect(200, reads(rr("r/e", "r/z", v - 1)));
        expect(409, reads(rr("r/d", "r/z", v - 1)));
        expect(409, reads(rr("r/a", "r/c\0", v - 1)));
        expect(409, reads(rr("r/", "r/z", v - 1)));           // the read covers the whole delete
        expect(409, reads(rr("r/c\1", "r/c\2", v - 1)));      // the delete covers the whole read
    }

    @Test
    void keysCompareAsUnsignedBytes() {
        long v = commit(w("u/\u0080"));
        expect(409, reads(rr("u/\u0001", "u/\u00ff", v - 1)));  // 0x01 < 0x80 < 0xff unsigned
        expect(200, reads(rr("u/\u0000", "u/\u007f", v - 1)));
        expect(200, reads(rr("u/\u0081", "u/\u00ff", v - 1)));
        expect(409, reads(rr("u/", "u0", v - 1)));               // '0' = '/' + 1: the whole u/ prefix
    }

    @Test
    void onlyTheLatestTouchCounts() {
        long v1 = commit(w("l/k"));
        long v2 = commit(d("l/k"));
        expect(409, reads(pr("l/k", v1)));
        expect(200, reads(pr("l/k", v2)));
        // Several preconditions: exactly the failing ones are listed, in order.
        Api.Reply r = api.commit(reads(pr("l/k", v1), pr("l/never", 0L), rr("l/", "l0", v1), pr("l/k", v2)));
        assertEquals(409, r.status(), r.body());
        assertEquals(List.of(0L, 2L), r.json().get("conflicts"));
    }

    // ------------------------------------------------------------------ helpers

    private static long commit(String... ops) {
        Api.Reply r = api.commit("{\"operations\":[" + String.join(",", ops) + "]}");
        assertEquals(200, r.status(), r.body());
        return r.num("version");
    }

    private static void expect(int status, String body) {
        long before = api.currentVersion();
        Api.Reply r = api.commit(body);
        assertEquals(status, r.status(), body + " -> " + r.body());
        if (status == 409) {
            assertEquals("conflict", r.str("reason"), r.body());
            assertEquals(List.of(0L), r.json().get("conflicts"), r.body());  // every 409 case here has one precondition
            assertEquals(before, api.currentVersion(), "a conflict commits nothing");
        } else {
            assertEquals(before + 1, r.num("version"));
        }
    }

    private static String reads(String... preconditions) {
        return "{\"preconditions\":[" + String.join(",", preconditions) + "]}";
    }

    private static String k(String key) {
        return "\"" + Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.ISO_8859_1)) + "\"";
    }

    private static String w(String key) {
        return "{\"type\":\"write\",\"key\":" + k(key) + ",\"value\":\"dg==\"}";
    }

    private static String d(String key) {
        return "{\"type\":\"delete\",\"key\":" + k(key) + "}";
    }

    private static String rd(String begin, String end) {
        return "{\"type\":\"range_delete\",\"begin\":" + k(begin) + ",\"end\":" + k(end) + "}";
    }

    private static String pr(String key, Long version) {
        return "{\"type\":\"point_read\",\"key\":" + k(key) + (version == null ? "" : ",\"version\":" + version) + "}";
    }

    private static String rr(String begin, String end, Long version) {
        return "{\"type\":\"range_read\",\"begin\":" + k(begin) + ",\"end\":" + k(end)
            + (version == null ? "" : ",\"version\":" + version) + "}";
    }
}
