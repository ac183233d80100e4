package io.weaseldb.pipeline;

import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One stage thread: waits for events its upstream released, hands them to its {@link Stage} as a
 * batch, then advances its own sequence once and wakes its downstream.
 *
 * <p>A thread of a parallel stage with {@code stride} threads delivers only the sequences
 * {@code s % stride == index} but advances its sequence over the whole range it looked at, so the
 * next stage, gating on the minimum of the {@code stride} sequences, still sees every event in order.
 *
 * <p>Wait strategy when nothing is available: {@value #SPIN_TRIES} polls with
 * {@link Thread#onSpinWait()} (microseconds: catches back-to-back traffic without a syscall), then
 * {@value #YIELD_TRIES} polls with {@link Thread#yield()} (lets the other threads of a small box
 * run), then {@link LockSupport#park} with no timeout: an idle stage uses no CPU and is woken by
 * whoever makes work available (see {@link #wakeIfParked()}).
 */
final class StageWorker<E> implements Runnable {

    // Short: on a machine with few cores a spinning stage takes a core from the connection threads
    // that would produce its next work (measured: 200 spins + 20 yields cost ~10% of commit CPU).
    static final int SPIN_TRIES = 50;
    static final int YIELD_TRIES = 2;

    private final RingBuffer<E> ring;
    private final Stage<? super E> stage;
    private final StageMetrics metrics;
    private final PipelineControl control;
    private final int index;
    private final int stride;
    private final int maxBatch;
    /** Upstream stage's sequences, or null for the first stage (which reads the publication stamps). */
    private final Sequence[] upstream;
    /** Next stage's threads to wake after advancing, or null for the last stage. */
    private final StageWorker<E>[] downstream;

    /** Last sequence this thread is done with (starts at -1). Single writer: this thread. */
    private final Sequence sequence;
    /** 1 while this thread is (about to be) parked. Written by this thread, read by wakers. */
    private final Sequence parked = new Sequence(0);
    final Thread thread;

    StageWorker(RingBuffer<E> ring, Stage<? super E> stage, StageMetrics metrics, PipelineControl control,
            Sequence sequence, int index, int stride, int maxBatch, Sequence[] upstream, StageWorker<E>[] downstream,
            Thread.Builder.OfPlatform threads) {
        this.ring = ring;
        this.stage = stage;
        this.metrics = metrics;
        this.control = control;
        this.sequence = sequence;
        this.index = index;
        this.stride = stride;
        this.maxBatch = maxBatch;
        this.upstream = upstream;
        this.downstream = downstream;
        this.thread = threads.unstarted(this);
    }

    @Override
    public void run() {
        long next = sequence.getPlain() + 1;
        while (true) {
            long available = waitFor(next);
            if (available < next) {
                return; // halted
            }
            long last = Math.min(available, next + maxBatch - 1);
            processBatch(next, last);
            // Release: our reads and writes of the events in [next, last] happen-before whatever the
            // next stage (or, for the last stage, a producer refilling the slots) does after its
            // acquire load of this sequence.
            sequence.setRelease(last);
            // Dekker with the waiter's park protocol: our store above must be globally visible before
            // we read the downstream `parked` flags (StoreLoad), which release alone does not give.
            VarHandle.fullFence();
            if (downstream != null) {
                for (StageWorker<E> w : downstream) {
                    w.wakeIfParked();
                }
            } else {
                control.wakeDrainWaiter();
            }
            next = last + 1;
        }
    }

    /** Highest sequence ≥ {@code next} this thread may process now, or {@code < next} if none. */
    private long available(long next) {
        if (upstream == null) {
            return ring.highestPublished(next, next + maxBatch - 1);
        }
        return Sequence.minimum(upstream); // acquire: see the upstream stage's writes to the events
    }

    /** Returns the available sequence (≥ next), or next - 1 once the pipeline is halted. */
    private long waitFor(long next) {
        int tries = 0;
        while (true) {
            if (control.isHalted()) {
                return next - 1;
            }
            long available = available(next);
            if (available >= next) {
                return available;
            }
            if (tries < SPIN_TRIES) {
                Thread.onSpinWait();
                tries++;
            } else if (tries < SPIN_TRIES + YIELD_TRIES) {
                Thread.yield();
                tries++;
            } else {
                // Announce, then re-check, then park. The fence orders the `parked` store before the
                // re-check's loads (StoreLoad); a waker stores its sequence/stamp, fences, then loads
                // `parked`. So either we see its work here, or it sees parked == 1 and unparks us (an
                // unpark that lands before park() leaves a permit and is not lost).
                parked.setOpaque(1);
                VarHandle.fullFence();
                if (!control.isHalted() && available(next) < next) {
                    LockSupport.park(this);
                }
                // Opaque suffices: a stale 1 seen by a waker only costs one spurious unpark.
                parked.setOpaque(0);
                Thread.interrupted(); // an interrupt must not turn park() into a busy loop
                tries = 0; // work usually arrives in bursts: spin again first
            }
        }
    }

    /** Called by whoever made work available to this thread, after a full fence. */
    void wakeIfParked() {
        // Opaque: the caller's fullFence already ordered its store before this load; opaque keeps
        // the load from being hoisted or merged with earlier ones.
        if (parked.getOpaque() != 0) {
            LockSupport.unpark(thread);
        }
    }

    private void processBatch(long first, long last) {
        long start = System.nanoTime();
        long firstOwned = first + Math.floorMod(index - first, (long) stride);
        long lastDelivered = last - Math.floorMod(last - index, (long) stride);
        while (lastDelivered >= firstOwned && ring.isCancelled(lastDelivered)) {
            lastDelivered -= stride; // endOfBatch goes to the last event actually delivered
        }
        int delivered = 0;
        for (long s = firstOwned; s <= lastDelivered; s += stride) {
            if (ring.isCancelled(s)) {
                continue;
            }
            if (delivered == 0) {
                // Once per batch, for its oldest event (the longest wait): per-event recording cost more
                // than the stage's own work for small commits.
                metrics.wait.record(Math.max(0, start - ring.readyNanos(s)), TimeUnit.NANOSECONDS);
            }
            E event = ring.entry(s);
            try {
                stage.onEvent(event, s, s == lastDelivered);
            } catch (VirtualMachineError fatal) {
                throw fatal;  // the process cannot go on reliably: let the thread's uncaught-exception handler decide
            } catch (Throwable error) {
                reportFailure(error, event, s);
            }
            delivered++;
        }
        long end = System.nanoTime();
        for (long s = firstOwned; s <= last; s += stride) {
            ring.setReadyNanos(s, end); // plain: published to the next stage by setRelease below
        }
        if (delivered > 0) {
            metrics.service.record(end - start, TimeUnit.NANOSECONDS);
            metrics.batchSize.record(delivered);
        }
    }

    private void reportFailure(Throwable error, E event, long s) {
        try {
            stage.onException(error, event, s);
        } catch (Throwable secondary) {
            error.addSuppressed(secondary);
            System.getLogger(StageWorker.class.getName()).log(System.Logger.Level.ERROR,
                    thread.getName() + ": stage failed on sequence " + s + " and so did its onException", error);
        }
    }
}
