package io.weaseldb.commit;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Recording one committed version into a full 100k-version history, eviction of the oldest version included:
 * the resolve stage's per-commit upkeep. Each version writes 3 new 24-byte keys that share a 14-byte prefix,
 * like {@code bench/commit.lua}'s transactions (so comparisons run past the 8-byte prefix the tree caches).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class ConflictRecordBenchmark {
    private static final int VERSIONS = 100_000;
    /** Distinct versions' key sets, reused cyclically: 4× the window, so a reused key was evicted long ago. */
    private static final int KEY_SETS = 4 * VERSIONS;

    private ConflictHistory history;
    private List<Operation>[] ops;
    private long version;

    @Setup
    @SuppressWarnings("unchecked")
    public void setUp() {
        ops = new List[KEY_SETS];
        for (int i = 0; i < KEY_SETS; i++) {
            ops[i] = List.of(Operation.write(key("acct/f", i), new byte[0]),
                Operation.write(key("acct/t", i), new byte[0]),
                Operation.write(key("txlog/", i), new byte[0]));
        }
        history = new ConflictHistory(0, VERSIONS, Long.MAX_VALUE);
        for (version = 1; version <= VERSIONS; version++) history.record(version, ops[(int) version % KEY_SETS]);
    }

    @Benchmark
    public long record() {
        long v = version++;
        history.record(v, ops[(int) (v % KEY_SETS)]);
        return history.retainedVersions();
    }

    private static byte[] key(String prefix, int n) {
        byte[] k = new byte[24];
        byte[] p = (prefix + "e31e38ad").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        System.arraycopy(p, 0, k, 0, p.length);
        for (int i = 23; i >= p.length && n != 0; i--, n /= 10) k[i] = (byte) ('0' + n % 10);
        return k;
    }
}
