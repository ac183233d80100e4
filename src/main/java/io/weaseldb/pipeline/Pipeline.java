package io.weaseldb.pipeline;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * A service pipeline: one bounded ring of pre-allocated events and an ordered chain of stages, in the
 * style of the LMAX Disruptor.
 *
 * <pre>
 *  producers (any thread)            ring of ringBufferSize pre-allocated events
 *  claim: CAS cursor        ┌────┬────┬────┬────┬────┬────┬────┬────┐
 *  fill:  translator   ───► │ 12 │ 13 │ 14 │ 15 │  8 │  9 │ 10 │ 11 │
 *  publish: stamp slot      └────┴────┴────┴────┴────┴────┴────┴────┘
 *                             ▲ gating: a claim may not lap the last stage (FULL instead)
 *                             │
 *  stage 0 ──► stage 1 (N threads, seq % N) ──► … ──► last stage ──► Completion.complete()
 *  each stage processes up to the minimum sequence of the stage before it, a batch at a time
 * </pre>
 *
 * <p>Publishing ({@link #tryPublish}) never blocks: it returns {@link PublishResult#FULL} when the ring
 * is full and {@link PublishResult#STOPPED} when the pipeline is not running, counting either in
 * {@code weaseldb.pipeline.rejected{pipeline, reason=full|stopped}}. Stage threads batch: each takes
 * everything available (up to {@code maxBatchSize}), calls {@link Stage#onEvent} per event with
 * {@code endOfBatch} on the last, and only then advances its sequence. Idle stage threads spin
 * briefly, yield, then park, and are woken by the publish or upstream advance that gives them work
 * (see {@link StageWorker}); an idle pipeline uses no CPU.
 *
 * <p>Memory ordering, in one place: a producer's writes to its event are published by a release
 * store of the slot's stamp, which stage 0 acquire-loads; each stage publishes its writes by a release
 * store of its sequence, which the next stage (and, for the last stage, a producer about to refill
 * the slot) acquire-loads. Wake-ups use a Dekker pattern (store, full fence, load on both sides).
 *
 * <p>Meters (tags {@code pipeline}, {@code stage}): gauge {@code weaseldb.pipeline.queue.depth}
 * (claimed minus processed by the stage), timer {@code weaseldb.pipeline.wait} (per batch, for its oldest event: from
 * publish, or from the previous stage's batch end, to the start of this stage's batch), timer
 * {@code weaseldb.pipeline.service} (per batch), summary {@code weaseldb.pipeline.batch.size};
 * counter {@code weaseldb.pipeline.rejected} (tags {@code pipeline}, {@code reason}).
 *
 * <p>Lifecycle: {@link #start()} once, then {@link #stop(Duration)}, which closes the ring, waits for
 * every already-claimed event to go through every stage, and stops the threads. Not restartable.
 *
 * @param <E> the mutable event type, created once per slot by the factory and reused forever
 */
public final class Pipeline<E> {

    /** Lifecycle of a pipeline, in order. */
    public enum State { NEW, RUNNING, STOPPING, STOPPED }

    static final String REJECTED = "weaseldb.pipeline.rejected";

    private final String name;
    private final RingBuffer<E> ring;
    private final List<StageWorker<E>> allWorkers;
    private final StageWorker<E>[] firstStage;
    private final Sequence[] lastStage;
    private final PipelineControl control = new PipelineControl();
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final Counter rejectedFull;
    private final Counter rejectedStopped;
    /** Whether the first stop() saw the last stage pass every claimed sequence; written before halt. */
    private volatile boolean drained;

    private Pipeline(Builder<E> b) {
        this.name = b.config.name();
        int stageCount = b.specs.size();
        // Sequences first, so that the ring (gating on the last stage) and the workers (gating on
        // their upstream, owning their own) can all hold them in final fields.
        Sequence[][] sequences = new Sequence[stageCount][];
        for (int k = 0; k < stageCount; k++) {
            sequences[k] = new Sequence[b.specs.get(k).threads()];
            for (int i = 0; i < sequences[k].length; i++) {
                sequences[k][i] = new Sequence(-1);
            }
        }
        this.ring = new RingBuffer<>(b.config.ringBufferSize(), b.eventFactory, sequences[stageCount - 1]);
        // Built last-to-first: each stage needs its downstream threads to wake them.
        @SuppressWarnings("unchecked")
        StageWorker<E>[][] workers = (StageWorker<E>[][]) new StageWorker<?>[stageCount][];
        List<StageWorker<E>> all = new ArrayList<>();
        for (int k = stageCount - 1; k >= 0; k--) {
            StageSpec<E> spec = b.specs.get(k);
            @SuppressWarnings("unchecked")
            StageWorker<E>[] group = (StageWorker<E>[]) new StageWorker<?>[spec.threads()];
            StageMetrics metrics = new StageMetrics(b.registry, name, spec.name(), b.config.ringBufferSize(),
                    sequences[k], this::depth);
            for (int i = 0; i < spec.threads(); i++) {
                int worker = i;
                String threadName = "weaseldb-" + name + "-" + spec.name() + (spec.threads() > 1 ? "-" + i : "");
                Stage<? super E> stage = Objects.requireNonNull(spec.stages().apply(i),
                        () -> "stage '" + spec.name() + "' factory returned null for thread " + worker);
                group[i] = new StageWorker<>(ring, stage, metrics, control, sequences[k][i], i, spec.threads(),
                        b.config.maxBatchSize(), k == 0 ? null : sequences[k - 1],
                        k == stageCount - 1 ? null : workers[k + 1],
                        Thread.ofPlatform().name(threadName).daemon(true));
            }
            workers[k] = group;
            all.addAll(0, List.of(group));
        }
        this.allWorkers = List.copyOf(all);
        this.firstStage = workers[0];
        this.lastStage = sequences[stageCount - 1];
        this.rejectedFull = rejectedCounter(b.registry, "full");
        this.rejectedStopped = rejectedCounter(b.registry, "stopped");
    }

    private Counter rejectedCounter(MeterRegistry registry, String reason) {
        return Counter.builder(REJECTED)
                .description("Publications refused without blocking (the caller answers 503)")
                .tags("pipeline", name, "reason", reason)
                .register(registry);
    }

    /** Events claimed but not yet processed by every thread of a stage (best effort, for the gauge). */
    private double depth(Sequence[] stageSequences) {
        long min = Long.MAX_VALUE;
        for (Sequence s : stageSequences) {
            min = Math.min(min, s.getOpaque());
        }
        return Math.max(0, ring.claimedCount() - 1 - min);
    }

    /**
     * Starts building a pipeline.
     *
     * @param eventFactory called {@code ringBufferSize} times, now; must not return null
     * @param registry     where the pipeline's meters are registered
     */
    public static <E> Builder<E> builder(PipelineConfig config, Supplier<? extends E> eventFactory,
            MeterRegistry registry) {
        return new Builder<>(config, eventFactory, registry);
    }

    public String name() {
        return name;
    }

    public int ringBufferSize() {
        return ring.size();
    }

    public State state() {
        return state.get();
    }

    /** Number of stage threads this pipeline runs. */
    public int threadCount() {
        return allWorkers.size();
    }

    /**
     * Starts the stage threads and opens the ring for publishing.
     *
     * @throws IllegalStateException if already started or stopped
     */
    public void start() {
        if (!state.compareAndSet(State.NEW, State.RUNNING)) {
            throw new IllegalStateException("pipeline '" + name + "' cannot start: it is " + state.get());
        }
        for (StageWorker<E> w : allWorkers) {
            w.thread.start();
        }
        ring.open();
    }

    /**
     * Claims a slot, fills it with {@code translator} and publishes it, without ever blocking.
     * Safe from any number of threads (lock-free: a retry only happens when another producer won).
     *
     * <p>If the translator throws, the slot is still published (marked cancelled so no stage sees it)
     * and the exception propagates.
     *
     * @return {@link PublishResult#PUBLISHED}, or {@link PublishResult#FULL} / {@link PublishResult#STOPPED}
     *     (counted in {@code weaseldb.pipeline.rejected}) without having touched the ring
     */
    public <A> PublishResult tryPublish(EventTranslator<? super E, ? super A> translator, A arg) {
        long sequence = ring.tryClaim();
        if (sequence < 0) {
            if (sequence == RingBuffer.REJECTED_FULL) {
                rejectedFull.increment();
                return PublishResult.FULL;
            }
            rejectedStopped.increment();
            return PublishResult.STOPPED;
        }
        boolean filled = false;
        try {
            translator.translateTo(ring.entry(sequence), sequence, arg);
            filled = true;
        } finally {
            // Always publish a claimed slot: a hole would stall every stage forever.
            ring.publish(sequence, !filled);
            // StoreLoad between the publication stamp and the `parked` loads (Dekker with the
            // consumer's park protocol): without it a consumer could re-check before our stamp is
            // visible while we read its stale parked == 0, and sleep with work in the ring.
            VarHandle.fullFence();
            for (StageWorker<E> w : firstStage) {
                w.wakeIfParked();
            }
        }
        return PublishResult.PUBLISHED;
    }

    /**
     * Stops accepting events, waits until every event already claimed has been processed by every
     * stage, then stops the stage threads. Idempotent; must not be called from a stage thread.
     *
     * @return true if everything was drained and all threads ended within {@code timeout}; false
     *     otherwise (undrained events are then never processed: their waiters should use a deadline)
     */
    public boolean stop(Duration timeout) {
        long deadline = System.nanoTime() + saturatedNanos(timeout);
        if (state.compareAndSet(State.NEW, State.STOPPED)) {
            return true; // never started: the ring was never open
        }
        if (state.compareAndSet(State.RUNNING, State.STOPPING)) {
            long lastClaimed = ring.close();
            drained = awaitDrained(lastClaimed, deadline);
            control.halt();
            for (StageWorker<E> w : allWorkers) {
                LockSupport.unpark(w.thread); // unconditional: halt is rare, no need for Dekker here
            }
        }
        boolean terminated = awaitTermination(deadline);
        if (terminated) {
            state.set(State.STOPPED);
        }
        return terminated && drained;
    }

    private boolean awaitDrained(long lastClaimed, long deadline) {
        control.setDrainWaiter(Thread.currentThread());
        // StoreLoad: the last stage advances, fences, then reads drainWaiter; we store drainWaiter,
        // fence, then read its sequences. One of us sees the other, so no wake-up is lost.
        VarHandle.fullFence();
        try {
            while (Sequence.minimum(lastStage) < lastClaimed) {
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return false;
                }
                LockSupport.parkNanos(this, remaining);
            }
            return true;
        } finally {
            control.setDrainWaiter(null);
        }
    }

    private boolean awaitTermination(long deadline) {
        boolean interrupted = false;
        try {
            for (StageWorker<E> w : allWorkers) {
                while (w.thread.isAlive()) {
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0) {
                        return false;
                    }
                    try {
                        w.thread.join(Duration.ofNanos(remaining));
                    } catch (InterruptedException e) {
                        interrupted = true; // finish the bounded wait, restore the flag after
                    }
                }
            }
            return true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static long saturatedNanos(Duration d) {
        try {
            return Math.max(0, d.toNanos());
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE / 2;
        }
    }

    @Override
    public String toString() {
        return "Pipeline[" + name + ", " + state.get() + ", ring=" + ring.size() + ", threads=" + allWorkers.size() + "]";
    }

    private record StageSpec<E>(String name, int threads, IntFunction<? extends Stage<? super E>> stages) {
    }

    /** Declares the stages, in processing order. */
    public static final class Builder<E> {
        private final PipelineConfig config;
        private final Supplier<? extends E> eventFactory;
        private final MeterRegistry registry;
        private final List<StageSpec<E>> specs = new ArrayList<>();
        private final Set<String> names = new HashSet<>();
        private int threads;

        private Builder(PipelineConfig config, Supplier<? extends E> eventFactory, MeterRegistry registry) {
            this.config = Objects.requireNonNull(config, "config");
            this.eventFactory = Objects.requireNonNull(eventFactory, "eventFactory");
            this.registry = Objects.requireNonNull(registry, "registry");
        }

        /** Appends a stage run by one thread. */
        public Builder<E> stage(String stageName, Stage<? super E> stage) {
            Objects.requireNonNull(stage, "stage");
            return add(stageName, 1, i -> stage);
        }

        /**
         * Appends a stage run by {@code threadCount} threads; thread {@code i} gets the events with
         * {@code sequence % threadCount == i} from {@code stagePerThread.apply(i)} (return the same
         * instance for all if it is thread-safe). The next stage still sees events in sequence order.
         */
        public Builder<E> parallelStage(String stageName, int threadCount,
                IntFunction<? extends Stage<? super E>> stagePerThread) {
            PipelineConfig.requireThreads(config.name(), "stage '" + stageName + "' threads", threadCount);
            return add(stageName, threadCount, Objects.requireNonNull(stagePerThread, "stagePerThread"));
        }

        private Builder<E> add(String stageName, int threadCount, IntFunction<? extends Stage<? super E>> stages) {
            Objects.requireNonNull(stageName, "stageName");
            if (stageName.isBlank()) {
                throw new IllegalArgumentException("pipeline '" + config.name() + "': stage name must not be blank");
            }
            if (!names.add(stageName)) {
                throw new IllegalArgumentException("pipeline '" + config.name() + "': duplicate stage '" + stageName + "'");
            }
            specs.add(new StageSpec<>(stageName, threadCount, stages));
            threads += threadCount;
            return this;
        }

        /**
         * Allocates the ring (calling the event factory {@code ringBufferSize} times), registers the
         * meters and creates, but does not start, the stage threads.
         *
         * @throws IllegalArgumentException without stages, or if they need more threads than
         *     {@link PipelineConfig#threads()}
         */
        public Pipeline<E> build() {
            if (specs.isEmpty()) {
                throw new IllegalArgumentException("pipeline '" + config.name() + "' has no stages");
            }
            if (threads > config.threads()) {
                throw new IllegalArgumentException("pipeline '" + config.name() + "': stages need " + threads
                        + " threads but threads = " + config.threads());
            }
            return new Pipeline<>(this);
        }
    }
}
