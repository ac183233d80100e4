package io.weaseldb.commit;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Precondition checking against a full 100k-version history (5 random 16-byte writes per version, a range
 * delete every 100th): one check of 4 point reads + 1 range read, reading {@code lag} versions behind the
 * latest. Random keys, so the usual answer is "no conflict", which is also the most expensive one.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class ConflictCheckBenchmark {
    private static final int VERSIONS = 100_000;
    private static final int REQUESTS = 1024;

    @Param({"10", "90000"})
    public long lag;

    private ConflictHistory history;
    private CommitRequest[] requests;
    private int next;

    @Setup
    public void setUp() throws CommitRequestException {
        Random random = new Random(3);
        history = new ConflictHistory(0, VERSIONS, Long.MAX_VALUE);
        for (long v = 1; v <= VERSIONS; v++) {
            List<Operation> ops = new ArrayList<>(6);
            for (int i = 0; i < 5; i++) {
                ops.add(Operation.write(key(random), new byte[0]));
            }
            if (v % 100 == 0) {
                byte[] a = key(random);
                byte[] b = a.clone();
                b[3]++;  // a narrow range
                ops.add(java.util.Arrays.compareUnsigned(a, b) <= 0 ? Operation.rangeDelete(a, b) : Operation.rangeDelete(b, a));
            }
            history.record(v, ops);
        }
        requests = new CommitRequest[REQUESTS];
        for (int i = 0; i < REQUESTS; i++) {
            CommitRequest.Builder b = CommitRequest.builder(CommitLimits.DEFAULTS).readVersion(VERSIONS - lag);
            for (int p = 0; p < 4; p++) {
                b.pointRead(key(random), false, 0);
            }
            byte[] begin = key(random);
            byte[] end = begin.clone();
            end[2]++;
            b.rangeRead(java.util.Arrays.compareUnsigned(begin, end) <= 0 ? begin : end,
                    java.util.Arrays.compareUnsigned(begin, end) <= 0 ? end : begin, false, 0);
            requests[i] = b.build();
        }
    }

    @Benchmark
    public int[] check() {
        return history.check(requests[next++ & (REQUESTS - 1)]);
    }

    private static byte[] key(Random random) {
        byte[] k = new byte[16];
        random.nextBytes(k);
        return k;
    }
}
