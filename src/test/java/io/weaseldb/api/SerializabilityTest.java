package io.weaseldb.api;

import static io.weaseldb.api.Api.delete;
import static io.weaseldb.api.Api.pointRead;
import static io.weaseldb.api.Api.rangeDelete;
import static io.weaseldb.api.Api.rangeRead;
import static io.weaseldb.api.Api.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weaseldb.server.RawClient;
import io.weaseldb.server.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Optimistic concurrency under contention, checked from the outside: 32 clients run random transactions over 16 hot
 * keys (point and range reads at recent versions; writes, deletes and range deletes) through real HTTP, and every
 * answer is recorded. Then, with every commit of the run known (all come from these clients):
 * <ul>
 *   <li>the versions are exactly 1..V;</li>
 *   <li>no committed transaction read anything that a commit between its read version and its own version changed
 *       (the resolver never let a stale read through, whatever the interleaving);</li>
 *   <li>every precondition a 409 names really was overwritten by some commit after its read version (no invented
 *       conflicts), and at least some of each kind of answer happened, so the check had something to check.</li>
 * </ul>
 * Run with both pipeline layouts: resolve and persist on one thread or on two.
 */
class SerializabilityTest {
    private static final int CLIENTS = 32;
    private static final int EACH = 120;
    private static final int KEYS = 16;

    /** A read or a change of one key ({@code end == null}) or of the range [key, end). */
    private record Span(String key, String end) {
        boolean overlaps(Span o) {
            String e1 = end != null ? end : key + "\0";
            String e2 = o.end != null ? o.end : o.key + "\0";
            return key.compareTo(e2) < 0 && o.key.compareTo(e1) < 0;
        }
    }

    private record Read(Span span, long version) { }

    private record Committed(long version, List<Read> reads, List<Span> changes, String id) { }

    private record Refused(List<Read> reads, List<Long> conflicts, String id) { }

    @ParameterizedTest
    @ValueSource(strings = {"fused", "split"})
    void noCommittedTransactionReadAStaleValue(String layout) throws Exception {
        ConcurrentLinkedQueue<Committed> committed = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Refused> refused = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicLong latest = new AtomicLong();
        try (TestServer srv = TestServer.start("", "[http.pipelines.commit_status]\nlayout = \"" + layout + "\"\n");
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < CLIENTS; t++) {
                int client = t;
                fs.add(pool.submit(() -> {
                    try (RawClient c = new RawClient(srv.port, 30_000)) {
                        go.await();
                        for (int i = 0; i < EACH; i++) {
                            String id = String.format("serial-%s-%02d-%04d", layout, client, i);
                            transact(c, id, latest, committed, refused, failures);
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : fs) f.get();
        }
        assertTrue(failures.isEmpty(), "answers other than 200 and 409 conflict: " + failures);

        Map<Long, Committed> byVersion = new TreeMap<>();
        for (Committed c : committed) assertEquals(null, byVersion.put(c.version, c), "version " + c.version + " given twice");
        long v = byVersion.size();
        assertTrue(byVersion.isEmpty() || ((TreeMap<Long, Committed>) byVersion).lastKey() == v, "versions are 1.." + v);

        for (Committed c : committed) {
            for (Read r : c.reads) {
                for (long w = r.version + 1; w < c.version; w++) {
                    for (Span change : byVersion.get(w).changes) {
                        assertTrue(!change.overlaps(r.span), c.id + " committed at " + c.version + " after reading " + r.span
                            + " at " + r.version + ", which " + byVersion.get(w).id + " changed at " + w);
                    }
                }
            }
        }
        for (Refused x : refused) {
            for (long index : x.conflicts) {
                Read r = x.reads.get((int) index);
                boolean overwritten = byVersion.entrySet().stream().anyMatch(e -> e.getKey() > r.version
                    && e.getValue().changes.stream().anyMatch(ch -> ch.overlaps(r.span)));
                assertTrue(overwritten, x.id + ": precondition " + index + " (" + r + ") named as a conflict, but nothing"
                    + " changed it after version " + r.version);
            }
        }
        assertTrue(committed.size() > CLIENTS && refused.size() > CLIENTS, "contention both ways: " + committed.size()
            + " committed, " + refused.size() + " refused");
        System.out.printf("serializability (%s): %d committed, %d refused with conflicts%n", layout, committed.size(), refused.size());
    }

    /** One random transaction; records its outcome. */
    private static void transact(RawClient c, String id, AtomicLong latest, ConcurrentLinkedQueue<Committed> committed,
                                 ConcurrentLinkedQueue<Refused> refused, ConcurrentLinkedQueue<String> failures) throws Exception {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        List<Read> reads = new ArrayList<>();
        List<String> preconditions = new ArrayList<>();
        for (int n = 1 + rnd.nextInt(2); n > 0; n--) {
            Read r = new Read(new Span(key(rnd.nextInt(KEYS)), null), Math.max(0, latest.get() - rnd.nextInt(3)));
            reads.add(r);
            preconditions.add(pointRead(r.span.key, r.version));
        }
        if (rnd.nextInt(3) == 0) {
            Read r = new Read(range(rnd), Math.max(0, latest.get() - rnd.nextInt(3)));
            reads.add(r);
            preconditions.add(rangeRead(r.span.key, r.span.end, r.version));
        }
        List<Span> changes = new ArrayList<>();
        List<String> operations = new ArrayList<>();
        for (int n = 1 + rnd.nextInt(2); n > 0; n--) {
            int kind = rnd.nextInt(20);
            Span s = kind == 0 ? range(rnd) : new Span(key(rnd.nextInt(KEYS)), null);
            changes.add(s);
            operations.add(kind == 0 ? rangeDelete(s.key, s.end) : kind < 3 ? delete(s.key) : write(s.key, id));
        }
        String body = "{\"request_id\":\"" + id + "\",\"preconditions\":[" + String.join(",", preconditions)
            + "],\"operations\":[" + String.join(",", operations) + "]}";
        Api.Reply r = Api.commit(c, body);
        for (int retry = 0; retry < 1000 && r.status() == 503 && "overloaded".equals(r.str("error")); retry++) {
            Thread.sleep(1);
            r = Api.commit(c, body);
        }
        if (r.status() == 200) {
            long version = r.num("version");
            latest.accumulateAndGet(version, Math::max);
            committed.add(new Committed(version, reads, changes, id));
        } else if (r.status() == 409 && "conflict".equals(r.str("reason"))) {
            @SuppressWarnings("unchecked")
            List<Long> conflicts = (List<Long>) r.json().get("conflicts");
            refused.add(new Refused(reads, conflicts, id));
        } else {
            failures.add(id + ": " + r);
        }
    }

    private static String key(int i) {
        return String.format("hot/%02d", i);
    }

    /** [hot/a, hot/b) over one to three keys (the keys are two digits, so they sort as numbers). */
    private static Span range(ThreadLocalRandom rnd) {
        int a = rnd.nextInt(KEYS);
        return new Span(key(a), key(a + 1 + rnd.nextInt(Math.min(3, KEYS - a))));
    }
}
