package io.weaseldb.pipeline;

import static io.weaseldb.pipeline.Polling.awaitTrue;
import static io.weaseldb.pipeline.Polling.isParked;
import static io.weaseldb.pipeline.Polling.publish;
import static io.weaseldb.pipeline.Polling.threadNamed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PipelineTest {

    /** A mutable ring slot: producer fields plus one mark per stage, written by that stage. */
    static final class Event {
        int producer;
        long value;
        final long[] marks = new long[4];
    }

    static final EventTranslator<Event, Long> VALUE = (e, seq, v) -> {
        e.producer = 0;
        e.value = v;
    };

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<Pipeline<?>> started = new ArrayList<>();
    private final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();

    @AfterEach
    void stopAll() {
        for (Pipeline<?> p : started) {
            p.stop(Duration.ofSeconds(5));
        }
    }

    private Pipeline<Event> start(Pipeline.Builder<Event> builder) {
        Pipeline<Event> p = builder.build();
        started.add(p);
        p.start();
        return p;
    }

    private Pipeline.Builder<Event> builder(String name, int ringSize, int threads) {
        return Pipeline.builder(PipelineConfig.of(name, ringSize, threads), Event::new, registry);
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            errors.add(message);
        }
    }

    @Test
    void singleProducerEventsArriveInOrder() {
        List<Long> values = new ArrayList<>();
        List<Long> sequences = new ArrayList<>();
        Pipeline<Event> p = start(builder("order", 8, 1).stage("only", (e, seq, end) -> {
            values.add(e.value);
            sequences.add(seq);
        }));
        for (long i = 0; i < 1_000; i++) {
            publish(p, VALUE, i);
        }
        assertTrue(p.stop(Duration.ofSeconds(10)));
        // stop() joined the stage thread, so its plain list writes are visible here.
        assertEquals(1_000, values.size());
        for (int i = 0; i < 1_000; i++) {
            assertEquals(i, values.get(i));
            assertEquals(i, sequences.get(i));
        }
    }

    /** A stage that checks order, exactly-once and visibility of the previous stage's writes. */
    private final class CheckingStage implements Stage<Event> {
        final int k;
        final long[] nextPerProducer;
        long expectedSequence;
        long processed;

        CheckingStage(int k, int producers) {
            this.k = k;
            this.nextPerProducer = new long[producers];
        }

        @Override
        public void onEvent(Event e, long seq, boolean endOfBatch) {
            check(seq == expectedSequence, "stage " + k + ": sequence " + seq + " != " + expectedSequence);
            expectedSequence = seq + 1;
            check(e.value == nextPerProducer[e.producer], "stage " + k + ": producer " + e.producer
                    + " value " + e.value + " != " + nextPerProducer[e.producer]);
            nextPerProducer[e.producer] = e.value + 1;
            if (k > 0) {
                check(e.marks[k - 1] == seq, "stage " + k + " does not see stage " + (k - 1) + "'s mark at " + seq);
            }
            e.marks[k] = seq;
            processed++;
        }
    }

    @Test
    void concurrentVirtualThreadProducersEveryEventEveryStageOnceInOrder() throws Exception {
        int producers = 64;
        int perProducer = 1_000;
        List<CheckingStage> stages = List.of(
                new CheckingStage(0, producers), new CheckingStage(1, producers), new CheckingStage(2, producers));
        Pipeline<Event> p = start(builder("mp", 256, 3)
                .stage("a", stages.get(0)).stage("b", stages.get(1)).stage("c", stages.get(2)));
        EventTranslator<Event, long[]> translator = (e, seq, arg) -> {
            e.producer = (int) arg[0];
            e.value = arg[1];
            e.marks[0] = e.marks[1] = e.marks[2] = -1; // the slot still holds an older event's marks
        };
        List<Thread> threads = new ArrayList<>();
        for (int id = 0; id < producers; id++) {
            int producer = id;
            threads.add(Thread.ofVirtual().start(() -> {
                long[] arg = {producer, 0};
                for (long i = 0; i < perProducer; i++) {
                    arg[1] = i; // read by the translator before tryPublish returns
                    publish(p, translator, arg);
                }
            }));
        }
        for (Thread t : threads) {
            assertTrue(t.join(Duration.ofSeconds(30)), "producer did not finish");
        }
        assertTrue(p.stop(Duration.ofSeconds(10)));
        assertEquals(List.of(), List.copyOf(errors));
        for (CheckingStage s : stages) {
            assertEquals((long) producers * perProducer, s.processed, "stage " + s.k);
            for (int id = 0; id < producers; id++) {
                assertEquals(perProducer, s.nextPerProducer[id], "stage " + s.k + " producer " + id);
            }
        }
    }

    @Test
    void fullRingRejectsImmediatelyAndRecovers() throws Exception {
        HoldsFirst hold = new HoldsFirst();
        AtomicInteger processed = new AtomicInteger();
        Pipeline<Event> p = start(builder("full", 4, 2)
                .stage("blocker", hold)
                .stage("count", (e, seq, end) -> processed.incrementAndGet()));
        assertSame(PublishResult.PUBLISHED, p.tryPublish(VALUE, 0L));
        assertTrue(hold.entered.await(10, TimeUnit.SECONDS));
        for (long i = 1; i < 4; i++) {
            assertSame(PublishResult.PUBLISHED, p.tryPublish(VALUE, i));
        }
        assertSame(PublishResult.FULL, p.tryPublish(VALUE, 4L));
        assertSame(PublishResult.FULL, p.tryPublish(VALUE, 4L));
        assertEquals(2.0, registry.get("weaseldb.pipeline.rejected")
                .tags("pipeline", "full", "reason", "full").counter().count());
        assertEquals(4.0, depth("full", "blocker"));
        assertEquals(4.0, depth("full", "count"));

        hold.release.countDown();
        awaitTrue("last stage drained", () -> depth("full", "count") == 0.0);
        assertEquals(4, processed.get());
        assertSame(PublishResult.PUBLISHED, p.tryPublish(VALUE, 4L)); // slots were released
        assertTrue(p.stop(Duration.ofSeconds(10)));
        assertEquals(5, processed.get());
        assertEquals(0.0, registry.get("weaseldb.pipeline.rejected")
                .tags("pipeline", "full", "reason", "stopped").counter().count());
    }

    private double depth(String pipeline, String stage) {
        return registry.get("weaseldb.pipeline.queue.depth").tags("pipeline", pipeline, "stage", stage).gauge().value();
    }

    /** (sequence, endOfBatch) pairs seen by a stage. */
    private record Delivery(long sequence, boolean endOfBatch) {
    }

    /** A stage that records each delivery and holds sequence 0 (signalling {@link #entered}) until {@link #release}. */
    private static final class HoldsFirst implements Stage<Event> {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<Delivery> seen = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void onEvent(Event e, long seq, boolean end) throws InterruptedException {
            seen.add(new Delivery(seq, end));
            if (seq == 0) {
                entered.countDown();
                release.await();
            }
        }
    }

    @Test
    void eventsPublishedWhileStageIsBusyFormOneBatch() throws Exception {
        HoldsFirst hold = new HoldsFirst();
        Pipeline<Event> p = start(builder("batch", 16, 2)
                .stage("first", hold)
                .stage("second", (e, seq, end) -> { }));
        p.tryPublish(VALUE, 0L);
        assertTrue(hold.entered.await(10, TimeUnit.SECONDS));
        int n = 10;
        for (long i = 1; i <= n; i++) {
            assertSame(PublishResult.PUBLISHED, p.tryPublish(VALUE, i));
        }
        hold.release.countDown();
        assertTrue(p.stop(Duration.ofSeconds(10)));

        List<Delivery> expected = new ArrayList<>();
        expected.add(new Delivery(0, true));
        for (long s = 1; s <= n; s++) {
            expected.add(new Delivery(s, s == n));
        }
        assertEquals(expected, hold.seen);
        var batches = registry.get("weaseldb.pipeline.batch.size").tags("pipeline", "batch", "stage", "first").summary();
        assertEquals(2, batches.count());
        assertEquals(n, batches.max());
        assertEquals(2, registry.get("weaseldb.pipeline.wait").tags("pipeline", "batch", "stage", "first")
                .timer().count(), "one wait sample per batch (its oldest event)");
        assertEquals(2, registry.get("weaseldb.pipeline.service").tags("pipeline", "batch", "stage", "first")
                .timer().count());
        assertTrue(registry.get("weaseldb.pipeline.service").tags("pipeline", "batch", "stage", "second")
                .timer().count() >= 1);
    }

    @Test
    void maxBatchSizeCapsBatches() throws Exception {
        HoldsFirst hold = new HoldsFirst();
        Pipeline<Event> p = start(Pipeline.builder(new PipelineConfig("capped", 16, 1, 4), Event::new, registry)
                .stage("only", hold));
        p.tryPublish(VALUE, 0L);
        assertTrue(hold.entered.await(10, TimeUnit.SECONDS));
        for (long i = 1; i <= 10; i++) {
            p.tryPublish(VALUE, i);
        }
        hold.release.countDown();
        assertTrue(p.stop(Duration.ofSeconds(10)));
        List<Long> ends = hold.seen.stream().filter(Delivery::endOfBatch).map(Delivery::sequence).toList();
        assertEquals(List.of(0L, 4L, 8L, 10L), ends); // batches [0] [1..4] [5..8] [9..10]
    }

    @Test
    void parallelStageKeepsDownstreamOrder() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger evensDone = new AtomicInteger();
        AtomicLong downstreamMax = new AtomicLong(-1);
        AtomicLong downstreamCount = new AtomicLong();
        long[] expected = {0};
        Pipeline<Event> p = start(builder("par", 64, 3)
                .parallelStage("split", 2, worker -> (e, seq, end) -> {
                    check(seq % 2 == worker, "worker " + worker + " got sequence " + seq);
                    check(Thread.currentThread().getName().equals("weaseldb-par-split-" + worker),
                            "thread name " + Thread.currentThread().getName());
                    if (seq == 1) {
                        release.await(); // worker 1 holds up sequence 1
                    }
                    e.marks[0] = seq;
                    if (worker == 0) {
                        evensDone.incrementAndGet();
                    }
                })
                .stage("after", (e, seq, end) -> {
                    check(seq == expected[0], "downstream got " + seq + ", expected " + expected[0]);
                    check(e.marks[0] == seq, "downstream does not see the parallel stage's mark at " + seq);
                    expected[0] = seq + 1;
                    downstreamMax.set(seq);
                    downstreamCount.incrementAndGet();
                }));
        for (long i = 0; i < 20; i++) {
            p.tryPublish(VALUE, i);
        }
        awaitTrue("worker 0 processed all even sequences", () -> evensDone.get() == 10);
        // Worker 0 is 18 sequences ahead, but the downstream gates on the minimum of both workers.
        assertTrue(downstreamMax.get() <= 0, "downstream ran ahead to " + downstreamMax.get());
        release.countDown();
        assertTrue(p.stop(Duration.ofSeconds(10)));
        assertEquals(List.of(), List.copyOf(errors));
        assertEquals(20, downstreamCount.get());
        assertEquals(3, p.threadCount());
    }

    @Test
    void idleStagesParkAndWakeOnPublish() throws Exception {
        AtomicInteger processed = new AtomicInteger();
        Pipeline<Event> p = start(builder("idle", 8, 2)
                .stage("one", (e, seq, end) -> { })
                .stage("two", (e, seq, end) -> processed.incrementAndGet()));
        Thread one = threadNamed("weaseldb-idle-one");
        Thread two = threadNamed("weaseldb-idle-two");
        assertTrue(one.isDaemon());
        awaitTrue("idle stage threads park", () -> isParked(one) && isParked(two));
        for (int round = 1; round <= 3; round++) {
            p.tryPublish(VALUE, (long) round);
            int expected = round;
            awaitTrue("event " + round + " reaches the last stage", () -> processed.get() == expected);
            awaitTrue("stage threads park again", () -> isParked(one) && isParked(two));
        }
    }

    @Test
    void completionsHandResultsBackToVirtualThreads() throws Exception {
        final class Result extends Completion {
            long doubled;
        }
        final class Request {
            long value;
            Result completion;
        }
        EventTranslator<Request, Request> copy = (slot, seq, req) -> {
            slot.value = req.value;
            slot.completion = req.completion;
        };
        Pipeline<Request> p = Pipeline.builder(PipelineConfig.of("rt", 64, 4), Request::new, registry)
                .stage("sequence", (e, seq, end) -> { })
                .stage("resolve", (e, seq, end) -> e.value *= 2)
                .stage("persist", (e, seq, end) -> { })
                .stage("respond", (e, seq, end) -> {
                    e.completion.doubled = e.value; // copy out before the slot can be reused
                    e.completion.complete();
                    e.completion = null;
                })
                .build();
        started.add(p);
        p.start();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> connections = new ArrayList<>();
        for (int c = 0; c < 100; c++) {
            int connection = c;
            connections.add(Thread.ofVirtual().start(() -> {
                Request request = new Request();
                request.completion = new Result(); // one per connection, reused for every request
                try {
                    for (int i = 0; i < 100; i++) {
                        request.value = connection * 1_000L + i;
                        request.completion.reset();
                        publish(p, copy, request);
                        assertTrue(request.completion.await(10, TimeUnit.SECONDS));
                        assertEquals(request.value * 2, request.completion.doubled);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        for (Thread t : connections) {
            assertTrue(t.join(Duration.ofSeconds(30)));
        }
        if (failure.get() != null) {
            fail(failure.get());
        }
    }

    @Test
    void stopDrainsPublishedEventsThenRejects() throws Exception {
        HoldsFirst hold = new HoldsFirst();
        AtomicInteger lastStage = new AtomicInteger();
        Pipeline<Event> p = start(builder("drain", 16, 2)
                .stage("first", hold)
                .stage("last", (e, seq, end) -> lastStage.incrementAndGet()));
        Thread first = threadNamed("weaseldb-drain-first");
        Thread last = threadNamed("weaseldb-drain-last");
        p.tryPublish(VALUE, 0L);
        assertTrue(hold.entered.await(10, TimeUnit.SECONDS));
        for (long i = 1; i <= 5; i++) {
            p.tryPublish(VALUE, i);
        }
        AtomicReference<Boolean> stopped = new AtomicReference<>();
        Thread stopper = Thread.ofVirtual().start(() -> stopped.set(p.stop(Duration.ofSeconds(10))));
        // Until stop() closes the ring a publish may still get in; count those too.
        int published = 6;
        PublishResult r;
        while ((r = p.tryPublish(VALUE, 99L)) != PublishResult.STOPPED) {
            if (r == PublishResult.PUBLISHED) {
                published++;
            }
            Thread.yield();
        }
        assertEquals(1.0, registry.get("weaseldb.pipeline.rejected")
                .tags("pipeline", "drain", "reason", "stopped").counter().count());
        assertSame(Pipeline.State.STOPPING, p.state());
        hold.release.countDown();
        assertTrue(stopper.join(Duration.ofSeconds(10)));
        assertEquals(Boolean.TRUE, stopped.get());
        assertEquals(published, lastStage.get());
        assertSame(Pipeline.State.STOPPED, p.state());
        assertSame(Thread.State.TERMINATED, first.getState());
        assertSame(Thread.State.TERMINATED, last.getState());
        assertTrue(p.stop(Duration.ofSeconds(1)), "stop is idempotent");
        assertThrows(IllegalStateException.class, p::start);
    }

    @Test
    void stopGivesUpAtTheDeadlineWhenAStageIsStuck() throws Exception {
        HoldsFirst hold = new HoldsFirst();
        AtomicInteger processed = new AtomicInteger();
        Pipeline<Event> p = start(builder("stuck", 8, 1).stage("only", (e, seq, end) -> {
            hold.onEvent(e, seq, end);
            processed.incrementAndGet();
        }));
        p.tryPublish(VALUE, 0L);
        p.tryPublish(VALUE, 1L);
        assertTrue(hold.entered.await(10, TimeUnit.SECONDS));
        assertFalse(p.stop(Duration.ofMillis(50)));
        assertSame(Pipeline.State.STOPPING, p.state());
        assertSame(PublishResult.STOPPED, p.tryPublish(VALUE, 2L));
        Thread thread = threadNamed("weaseldb-stuck-only");
        hold.release.countDown();
        assertTrue(thread.join(Duration.ofSeconds(10)), "halted stage thread exits once unblocked");
        assertFalse(p.stop(Duration.ofSeconds(1)), "not drained: reported again");
        assertSame(Pipeline.State.STOPPED, p.state());
        assertTrue(processed.get() <= 2);
    }

    @Test
    void publishBeforeStartIsRejectedAsStopped() {
        Pipeline<Event> p = builder("new", 4, 1).stage("only", (e, seq, end) -> { }).build();
        assertSame(PublishResult.STOPPED, p.tryPublish(VALUE, 1L));
        assertSame(Pipeline.State.NEW, p.state());
        assertTrue(p.stop(Duration.ofSeconds(1)));
        assertSame(Pipeline.State.STOPPED, p.state());
    }

    @Test
    void failingTranslatorCancelsItsSlotWithoutStallingTheRing() throws Exception {
        HoldsFirst hold = new HoldsFirst();
        Pipeline<Event> p = start(builder("cancel", 8, 2)
                .stage("first", hold)
                .stage("second", (e, seq, end) -> { }));
        EventTranslator<Event, Long> failing = (e, seq, v) -> {
            throw new IllegalStateException("translator failed at " + seq);
        };
        p.tryPublish(VALUE, 0L);
        assertTrue(hold.entered.await(10, TimeUnit.SECONDS));
        p.tryPublish(VALUE, 1L);
        var thrown = assertThrows(IllegalStateException.class, () -> p.tryPublish(failing, 2L));
        assertEquals("translator failed at 2", thrown.getMessage());
        hold.release.countDown();
        awaitTrue("first stage reaches sequence 1", () -> hold.seen.size() == 2);
        // The cancelled slot 2 is the end of that batch, so endOfBatch moved to sequence 1.
        assertEquals(List.of(new Delivery(0, true), new Delivery(1, true)), List.copyOf(hold.seen));
        p.tryPublish(VALUE, 3L);
        assertTrue(p.stop(Duration.ofSeconds(10)));
        assertEquals(new Delivery(3, true), hold.seen.get(2));
        assertEquals(3, hold.seen.size());
    }

    @Test
    void failingStageReportsAndTheEventStillMovesOn() throws Exception {
        List<Long> reported = Collections.synchronizedList(new ArrayList<>());
        List<Long> downstream = Collections.synchronizedList(new ArrayList<>());
        Pipeline<Event> p = start(builder("fail", 8, 2)
                .stage("flaky", new Stage<>() {
                    @Override
                    public void onEvent(Event e, long seq, boolean end) {
                        if (seq == 1) {
                            throw new IllegalArgumentException("bad event " + seq);
                        }
                    }

                    @Override
                    public void onException(Throwable error, Event event, long sequence) {
                        assertNotNull(event);
                        reported.add(sequence);
                    }
                })
                .stage("next", (e, seq, end) -> downstream.add(seq)));
        for (long i = 0; i < 3; i++) {
            p.tryPublish(VALUE, i);
        }
        assertTrue(p.stop(Duration.ofSeconds(10)));
        assertEquals(List.of(1L), reported);
        assertEquals(List.of(0L, 1L, 2L), downstream);
    }
}
