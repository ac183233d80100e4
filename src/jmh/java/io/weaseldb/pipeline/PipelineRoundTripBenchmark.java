package io.weaseldb.pipeline;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * Publish → 3 stages → {@link Completion} round trip, as a connection thread does it: each producer
 * has one request in flight and parks until the last stage completes it. Throughput and average
 * latency with 1 and 4 producers, with real (Simple) meters or no-op meters to show their cost.
 *
 * <p>JMH threads are platform threads, so the hand-off back is a futex wake rather than a virtual
 * thread unpark; on a 2-core box the 4-producer case also oversubscribes the CPU (4 + 3 threads).
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.Throughput, Mode.AverageTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PipelineRoundTripBenchmark {

    /** The ring slot. */
    public static final class Request {
        long value;
        long version;
        Connection connection;
    }

    /** One per producer thread, reused for every request like a connection's completion. */
    @State(Scope.Thread)
    public static class Connection extends Completion {
        long value;
        long result;
    }

    private static final EventTranslator<Request, Connection> FILL = (slot, sequence, c) -> {
        slot.value = c.value;
        slot.version = 0;
        slot.connection = c;
    };

    @Param({"simple", "noop"})
    public String meters;

    private Pipeline<Request> pipeline;

    @Setup(Level.Trial)
    public void start() {
        // A CompositeMeterRegistry with no children hands out no-op meters.
        MeterRegistry registry = meters.equals("simple") ? new SimpleMeterRegistry() : new CompositeMeterRegistry();
        long[] nextVersion = {1};
        pipeline = Pipeline.builder(PipelineConfig.of("bench", 1024, 3), Request::new, registry)
                .stage("sequence", (e, seq, end) -> e.version = nextVersion[0]++)
                .stage("resolve", (e, seq, end) -> e.value += e.version)
                .stage("respond", (e, seq, end) -> {
                    Connection c = e.connection;
                    e.connection = null;
                    c.result = e.value; // copy out before the slot can be reused
                    c.complete();
                })
                .build();
        pipeline.start();
    }

    @TearDown(Level.Trial)
    public void stop() {
        if (!pipeline.stop(Duration.ofSeconds(10))) {
            throw new IllegalStateException("pipeline did not drain");
        }
    }

    private long roundTrip(Connection c) throws InterruptedException {
        c.reset();
        c.value++;
        while (pipeline.tryPublish(FILL, c) != PublishResult.PUBLISHED) {
            Thread.onSpinWait(); // cannot happen with ≤ 4 requests in flight in a 1024 ring
        }
        c.await();
        return c.result;
    }

    @Benchmark
    @Threads(1)
    public long roundTrip1Producer(Connection c) throws InterruptedException {
        return roundTrip(c);
    }

    @Benchmark
    @Threads(4)
    public long roundTrip4Producers(Connection c) throws InterruptedException {
        return roundTrip(c);
    }
}
