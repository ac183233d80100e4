package io.weaseldb.storage;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One group commit as the persist stage does it: append 64 small records, then sync once. With fsync off
 * this measures encoding + write(2); with fsync on it is dominated by the device's flush latency.
 * The log lives in /tmp (override with -Dweaseldb.bench.dir); old segments are truncated each iteration.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SegmentedFileLogBenchmark {
    private static final int BATCH = 64;

    @Param({"false", "true"})
    public boolean fsync;

    private Path dir;
    private SegmentedFileLog log;
    private final LogRecord[] batch = new LogRecord[BATCH];
    private final byte[] payload = new byte[100];
    private long next;

    @Setup(Level.Trial)
    public void open() throws IOException {
        dir = Files.createTempDirectory(Path.of(System.getProperty("weaseldb.bench.dir", "/tmp")), "weaseldb-log-bench");
        log = SegmentedFileLog.open(dir, SegmentedFileLog.Options.defaults().withFsync(fsync), new SimpleMeterRegistry());
        next = log.lastVersion() + 1;
    }

    @Benchmark
    public long appendBatchThenSync() throws IOException {
        // Records are built outside the log (as the pipeline would hand them over); versions must be fresh.
        for (int i = 0; i < BATCH; i++) batch[i] = new LogRecord(next + i, "bench-request-id-0000000000", 0L, payload);
        for (LogRecord r : batch) log.append(r);
        log.sync();
        next += BATCH;
        return next;
    }

    @TearDown(Level.Iteration)
    public void dropOldSegments() throws IOException {
        log.truncateBefore(log.lastVersion());
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        log.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
