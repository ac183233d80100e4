package io.weaseldb.stream;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.weaseldb.storage.CommitLog;
import io.weaseldb.storage.LogRecord;
import io.weaseldb.storage.LogTruncatedException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
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
 * Cost of {@link ChangeFeed#publish} on the persist thread with 0, 100 or 1000 subscribers parked waiting for the
 * next version (each on its own virtual thread, streaming into a null sink). publish itself does the same O(1)
 * work whatever the count (render once, one ring store, at most one unpark of the notifier); what grows is the
 * notifier's and the subscribers' work on the other cores, which shows up here only as contention.
 * The log is synthetic (records made on demand) so that subscribers that fall behind the ring can "replay".
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class ChangeFeedBenchmark {
    private static final String REQUEST_ID = "bench-request-id-0000000000";
    private static final byte[] PAYLOAD = "[{\"type\":\"write\",\"key\":\"a2V5\",\"value\":\"dmFsdWVfdmFsdWVfdmFsdWVfdmFsdWU=\"}]"
            .getBytes(StandardCharsets.UTF_8);

    @Param({"0", "100", "1000"})
    public int subscribers;

    private SyntheticLog log;
    private ChangeFeed feed;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stopping;
    private long next;

    /** Every version up to {@link #lastVersion} exists; records are made when read. */
    static final class SyntheticLog implements CommitLog {
        volatile long last;

        @Override public long lastVersion() { return last; }
        @Override public long oldestVersion() { return 1; }
        @Override public void append(LogRecord record) { last = record.version(); }
        @Override public void sync() { }
        @Override public long truncationPoint(long version) { return oldestVersion(); }
        @Override public void truncateBefore(long version) { }
        @Override public void close() { }

        @Override
        public void read(long fromVersion, Predicate<LogRecord> visitor) throws LogTruncatedException {
            long end = last;
            for (long v = Math.max(1, fromVersion); v <= end; v++) {
                if (!visitor.test(new LogRecord(v, REQUEST_ID, 0, PAYLOAD))) return;
            }
        }
    }

    @Setup(Level.Trial)
    public void start() throws IOException {
        log = new SyntheticLog();
        // A huge lag limit: nobody is disconnected, the measurement keeps all its subscribers.
        feed = ChangeFeed.start(log, ChangeFeed.Options.of(1L << 30, 3600), new SimpleMeterRegistry());
        StreamControl control = new StreamControl() {
            @Override public boolean draining() { return stopping; }
            @Override public void abort() { }
        };
        for (int i = 0; i < subscribers; i++) {
            Subscription s = feed.subscribe(ChangeFeed.LIVE, control);
            threads.add(Thread.ofVirtual().start(() -> s.stream(OutputStream.nullOutputStream())));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (feed.subscriberCount() < subscribers && System.nanoTime() < deadline) Thread.onSpinWait();
        next = log.lastVersion() + 1;
    }

    @Benchmark
    public long publish() {
        LogRecord r = new LogRecord(next, REQUEST_ID, 0, PAYLOAD);
        log.append(r);
        feed.publish(r);
        return next++;
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        stopping = true; // the reaper wakes everyone; each stream sees the drain and ends
        for (Thread t : threads) t.join(10_000);
        feed.close();
    }
}
