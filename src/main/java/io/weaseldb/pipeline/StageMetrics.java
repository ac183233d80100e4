package io.weaseldb.pipeline;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.function.ToDoubleFunction;

/** The meters of one stage (shared by the threads of a parallel stage). */
final class StageMetrics {

    static final String QUEUE_DEPTH = "weaseldb.pipeline.queue.depth";
    static final String WAIT = "weaseldb.pipeline.wait";
    static final String SERVICE = "weaseldb.pipeline.service";
    static final String BATCH_SIZE = "weaseldb.pipeline.batch.size";

    private static final Duration MIN_EXPECTED = Duration.ofNanos(1_000);
    private static final Duration MAX_EXPECTED = Duration.ofSeconds(10);

    /** Per event: from the moment the event became ready for this stage to the start of its batch. */
    final Timer wait;
    /** Per batch: the stage's time to process the whole batch. */
    final Timer service;
    /** Per batch: events delivered to the stage. */
    final DistributionSummary batchSize;

    <T> StageMetrics(MeterRegistry registry, String pipeline, String stage, int ringBufferSize,
            T depthSource, ToDoubleFunction<T> depth) {
        Tags tags = Tags.of("pipeline", pipeline, "stage", stage);
        Gauge.builder(QUEUE_DEPTH, depthSource, depth)
                .description("Events published but not yet processed by the stage")
                .tags(tags)
                .register(registry);
        wait = Timer.builder(WAIT)
                .description("Per batch: how long its oldest event was ready in the ring before the stage started the batch")
                .tags(tags)
                .publishPercentileHistogram()
                .minimumExpectedValue(MIN_EXPECTED)
                .maximumExpectedValue(MAX_EXPECTED)
                .register(registry);
        service = Timer.builder(SERVICE)
                .description("Time the stage spent processing one batch")
                .tags(tags)
                .publishPercentileHistogram()
                .minimumExpectedValue(MIN_EXPECTED)
                .maximumExpectedValue(MAX_EXPECTED)
                .register(registry);
        batchSize = DistributionSummary.builder(BATCH_SIZE)
                .description("Events per batch taken by a stage thread")
                .tags(tags)
                .publishPercentileHistogram()
                .minimumExpectedValue(1.0)
                .maximumExpectedValue((double) ringBufferSize)
                .register(registry);
    }
}
