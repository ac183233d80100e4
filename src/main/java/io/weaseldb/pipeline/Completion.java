package io.weaseldb.pipeline;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Hands a pipeline result back to the thread waiting for it (typically a connection's virtual
 * thread), without allocating: each connection owns one and reuses it for every request.
 *
 * <pre>{@code
 * completion.reset();                                  // owner: new request
 * if (pipeline.tryPublish(TRANSLATOR, this) != PUBLISHED) { answer 503; return; }
 * completion.await();                                  // parks the virtual thread
 * ... read the result fields ...                       // owner
 *
 * // last stage, on its own thread:
 * c.status = ...; c.complete();                        // write results first, then complete
 * }</pre>
 *
 * <p>Results: subclass and add fields. The completer writes them before {@link #complete()}; the
 * volatile state write in {@code complete()} and the volatile read that ends {@code await()} make
 * them visible to the owner. The owner must not read the ring slot itself after publishing: the slot
 * is reused once the last stage advances, which may be before the owner's thread even runs.
 *
 * <p>Reuse after a timeout or interrupt: the request is still in the pipeline and will complete
 * later, writing its results. {@link #reset()} therefore refuses a pending completion; the owner
 * either keeps waiting or abandons this object and uses a new one.
 */
public class Completion {

    private static final int IDLE = 0;
    private static final int PENDING = 1;
    private static final int DONE = 2;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Completion.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /*
     * Wake-up protocol (Dekker): the waiter writes `waiter` then reads `state`; the completer writes
     * `state` then reads `waiter`. All four accesses are volatile, hence sequentially consistent, so
     * at least one side sees the other's write: either the waiter sees DONE and does not park, or the
     * completer sees the thread and unparks it (an unpark before park leaves a permit, so it is not
     * lost either).
     */
    private volatile int state = IDLE;
    private volatile Thread waiter;

    /** How {@link #complete()} wakes the waiting thread. */
    private Consumer<Thread> waker = LockSupport::unpark;

    /**
     * Wakes the owner through {@code waker} instead of unparking it from the completing thread. Owner only,
     * before the first {@link #reset()} (a connection routes the wake-up through its poller, so that a stage
     * thread's wake-ups queue behind the poller's instead of beside them: see {@code net.Poller#wakeLater}).
     */
    public final void wakeVia(Consumer<Thread> waker) {
        this.waker = java.util.Objects.requireNonNull(waker, "waker");
    }

    /**
     * Arms the completion for a new request. Owner only, before publishing.
     *
     * @throws IllegalStateException if the previous request has not completed yet
     */
    public final void reset() {
        if (state == PENDING) {
            throw new IllegalStateException(
                    "completion is still pending: its request may still complete it; use a new Completion");
        }
        state = PENDING;
    }

    /**
     * Marks the request done and wakes the owner if it is parked. Write the result fields first.
     *
     * @return false if the completion was not pending (never armed, or completed twice)
     */
    public final boolean complete() {
        if (!STATE.compareAndSet(this, PENDING, DONE)) {
            return false;
        }
        Thread t = waiter;
        if (t != null) {
            // May occasionally unpark a thread that already left await() (it saw DONE first); park
            // callers must tolerate spurious wake-ups, as all JDK ones do.
            waker.accept(t);
        }
        return true;
    }

    /** True once {@link #complete()} ran for the current request. */
    public final boolean isDone() {
        return state == DONE;
    }

    /**
     * Parks the calling thread until {@link #complete()} (spurious wake-ups are absorbed).
     *
     * @throws InterruptedException if interrupted; the completion stays pending (see class doc)
     * @throws IllegalStateException if not armed by {@link #reset()}
     */
    public final void await() throws InterruptedException {
        if (awaitState(0, false) != DONE) {
            throw new AssertionError("untimed await returned before completion");
        }
    }

    /**
     * Like {@link #await()} with a deadline.
     *
     * @return true if completed, false if the timeout elapsed first (the completion stays pending)
     */
    public final boolean await(long timeout, TimeUnit unit) throws InterruptedException {
        return awaitState(System.nanoTime() + unit.toNanos(timeout), true) == DONE;
    }

    private int awaitState(long deadline, boolean timed) throws InterruptedException {
        int s = state;
        if (s == DONE) {
            return s; // fast path: no need to register
        }
        if (s == IDLE) {
            throw new IllegalStateException("await() without reset()");
        }
        waiter = Thread.currentThread();
        try {
            while ((s = state) != DONE) {
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                if (timed) {
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0) {
                        return s;
                    }
                    LockSupport.parkNanos(this, remaining);
                } else {
                    LockSupport.park(this);
                }
            }
            return s;
        } finally {
            waiter = null;
        }
    }
}
