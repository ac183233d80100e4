package io.weaseldb.commit;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JSON commit parsing throughput: a ~1 KB request (10 writes, 2 preconditions) parsed whole or fed in
 * network-sized slices. The {@code bytes} counter reports body bytes parsed per second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
public class CommitParseBenchmark {
    /** Slice size fed per call; 0 feeds the whole body at once. */
    @Param({"0", "128"})
    public int slice;

    private byte[] body;

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Bytes {
        public long bytes;

        @Setup(Level.Iteration)
        public void reset() {
            bytes = 0;
        }
    }

    @Setup
    public void setUp() {
        Random random = new Random(1);
        Base64.Encoder b64 = Base64.getEncoder();
        StringBuilder json = new StringBuilder(1200);
        json.append("{\"request_id\":\"bench-request-0000000000001\",\"read_version\":123456789,\"preconditions\":[");
        json.append("{\"type\":\"point_read\",\"key\":\"").append(b64.encodeToString(bytes(random, 16))).append("\"},");
        byte[] begin = bytes(random, 12);
        byte[] end = begin.clone();
        begin[0] = 0x10;
        end[0] = 0x20;
        json.append("{\"type\":\"range_read\",\"begin\":\"").append(b64.encodeToString(begin))
                .append("\",\"end\":\"").append(b64.encodeToString(end)).append("\",\"version\":123456780}");
        json.append("],\"operations\":[");
        for (int i = 0; i < 10; i++) {
            json.append(i == 0 ? "" : ",").append("{\"type\":\"write\",\"key\":\"").append(b64.encodeToString(bytes(random, 12)))
                    .append("\",\"value\":\"").append(b64.encodeToString(bytes(random, 24))).append("\"}");
        }
        json.append("]}");
        body = json.toString().getBytes(StandardCharsets.UTF_8);
        try {
            parse(new Bytes());  // fail here, not in every invocation, if the body is wrong
        } catch (CommitRequestException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Benchmark
    public CommitRequest parse(Bytes counter) throws CommitRequestException {
        JsonCommitRequestParser parser = new JsonCommitRequestParser(CommitLimits.DEFAULTS);
        int step = slice == 0 ? body.length : slice;
        for (int off = 0; off < body.length; off += step) {
            parser.feed(body, off, Math.min(step, body.length - off));
        }
        counter.bytes += body.length;
        return parser.finish();
    }

    private static byte[] bytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
