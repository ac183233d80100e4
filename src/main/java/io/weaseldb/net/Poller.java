package io.weaseldb.net;

import java.io.IOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.jctools.queues.atomic.MpscAtomicArrayQueue;

/**
 * A poller loop: one platform thread owning one epoll-backed {@link Selector}. Connection threads (virtual)
 * arm interest through {@link #arm} and park; when the socket is ready the poller unparks exactly that
 * thread, which then owns the connection again (the one-shot ownership of the seed's EPOLLONESHOT; the key
 * is disarmed whenever it could fire for a thread that is not waiting). No virtual thread ever enters
 * {@link Selector#select}.
 *
 * <p>The poller also enforces deadlines: every {@link #SCAN_INTERVAL_NANOS} it wakes any connection whose
 * wait has passed its deadline, so timeouts cost no timer per park. And on drain it wakes idle connections so
 * they close.
 */
final class Poller implements Runnable {
    /** Timeout resolution: deadlines fire up to this late. */
    static final long SCAN_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final Selector selector;
    private final Thread thread;
    /**
     * True while the poller is in, or about to enter, select(). An armer wakes the selector only if it can
     * flip this from true to false, so a burst of arms costs one wakeup, and arms made while the poller is
     * awake cost none (it applies queued interest changes at the top of its next select).
     *
     * <p>Ordering: the armer queues its interest change (under the selector's update lock) and then reads this
     * flag; the poller writes true and then takes that lock in select(). With volatile/lock ordering, either
     * the poller's select sees the queued change, or the armer sees true and wakes it: no lost wakeup.
     */
    private final AtomicBoolean sleeping = new AtomicBoolean();
    /**
     * Connections woken READY that have not yet read. The poller waits for this to drain before it selects
     * again, because epoll is level-triggered: a socket whose thread was unparked but has not run yet would
     * fire again, and the only alternatives are spinning or disarming it (an epoll_ctl now and another one,
     * plus a selector wakeup, when the thread re-arms). Waiting lets the interest stay armed for the whole
     * keep-alive cycle, and paces the poller to the carrier threads under load.
     */
    private final AtomicInteger unacked = new AtomicInteger();
    /** Set while the poller parks for {@link #unacked} to reach 0; the last ack unparks it. */
    private volatile boolean awaitingAcks;
    private int wokenThisRound;
    private volatile boolean running = true;
    /** Set once the loop has ended: wake-ups are then delivered directly (see {@link #wakeLater}). */
    private volatile boolean stopped;
    private volatile boolean draining;
    /**
     * Connection threads to unpark on behalf of other threads (pipeline stages): see {@link #wakeLater}. Bounded
     * by the connections, each waiting for at most one such wake-up at a time; if it is ever full, the waker
     * unparks directly. JCTools' atomic variant, as in {@link BufferPool}: the Unsafe one made JDK 24+ print a
     * sun.misc.Unsafe deprecation warning at the first commit.
     */
    private final MpscAtomicArrayQueue<Thread> wakes = new MpscAtomicArrayQueue<>(WAKE_QUEUE_CAPACITY);
    /** Held while a thread drains {@link #wakes} (see {@link #drainWakes}). */
    private final AtomicBoolean wakeDrainer = new AtomicBoolean();
    private static final int WAKE_QUEUE_CAPACITY = 1 << 14;
    /** Threads that yielded their carrier ({@link #yieldTurn}): resumed by the poller once they have parked. */
    private final MpscAtomicArrayQueue<Thread> yields = new MpscAtomicArrayQueue<>(WAKE_QUEUE_CAPACITY);
    /**
     * Yielded threads not parked yet when last looked at: poller thread only. Bounded by the connections: a
     * thread queues itself once per yield, and parks (leaving this list) before its next one unless a stale
     * permit ends a park early, which happens at most once in a row.
     */
    private final ArrayDeque<Thread> yieldedNotParked = new ArrayDeque<>();
    /** Looks at a newly yielded thread's state before it is left for the next round (each well under a microsecond). */
    private static final int YIELD_SPINS = 1_000;
    /** How soon a round looks again at yielded threads not parked yet (they wait that long at most). */
    private static final long YIELD_RECHECK_MILLIS = 1;
    /** {@link #wakeLater} as a reusable reference, handed to connections. */
    final Consumer<Thread> waker = this::wakeLater;
    /** {@link #onReady} as one reference: a method reference in the select call would be a new object per round. */
    private final Consumer<SelectionKey> onReady = this::onReady;
    private volatile long nextScan;  // drain() sets it from another thread

    /** Shared with the server: see {@link #drainWakes}. */
    private final LongAdder resumes;

    /** {@code resumes}: the server's count of connection threads resumed from a wait (see {@link TimeSlice}). */
    Poller(int index, LongAdder resumes) throws IOException {
        this.resumes = resumes;
        this.selector = Selector.open();
        this.thread = Thread.ofPlatform().name("weaseldb-poller-" + index).daemon(true).unstarted(this);
    }

    void start() {
        thread.start();
    }

    SelectionKey register(SocketChannel ch, Connection c) throws ClosedChannelException {
        return ch.register(selector, 0, c);
    }

    /**
     * Arms interest for the calling connection thread, which parks next (see {@link Connection#await}).
     * Usually a no-op: interest is left armed after a wake-up (see {@link #onReady}), and setting the same
     * ops again queues no update, so the common keep-alive cycle costs no epoll_ctl and no selector wakeup.
     *
     * <p>Ordering against {@link #onReady}'s disarm: the connection writes {@code waitingOps} before reading
     * the interest here; the poller writes interest 0 before re-reading {@code waitingOps}. Both are volatile,
     * so either we see the disarm and re-arm, or the poller sees us waiting and wakes us.
     */
    void arm(SelectionKey key, int ops) {
        if (key.interestOps() != ops) {
            key.interestOps(ops);
            wakeIfSleeping();
        }
    }

    private void wakeIfSleeping() {
        if (sleeping.get() && sleeping.compareAndSet(true, false)) selector.wakeup();
    }

    /**
     * How long the poller waits for acks without seeing one: past it, it selects anyway (and disarms what still
     * fires). While acks keep arriving the carriers are working through the round, so the wait goes on, up to
     * {@link #ACK_WAIT_MAX_NANOS}. A fixed bound had to cover the largest round: one carrier serving 1000 busy
     * connections takes about 5 ms per round, and fixed bounds of 0.5-3 ms gave p99s of 107-550 ms there (keys
     * disarmed and re-armed round after round) against 11-17 ms with 8 ms; tied to progress instead, the bound
     * no longer depends on how many connections a round wakes.
     */
    private static final long ACK_STALL_NANOS = TimeUnit.MICROSECONDS.toNanos(Long.getLong("weaseldb.ackWaitMicros", 2000));
    /** Hard cap on one wait for acks, progress or not: new connections and timeouts are not held up longer. */
    private static final long ACK_WAIT_MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private void awaitAcks() {
        long start = System.nanoTime();
        long stallDeadline = start + ACK_STALL_NANOS;
        long hardDeadline = start + ACK_WAIT_MAX_NANOS;
        int seen = unacked.get();
        awaitingAcks = true; // volatile write before re-reading unacked: pairs with ack()'s decrement-then-read
        try {
            int now;
            while (true) {
                drainWakes();  // whatever arrived meanwhile (wakeLater does not interrupt this wait: see there)
                resumeYielded();
                if ((now = unacked.get()) <= 0) break;
                long t = System.nanoTime();
                if (now < seen) { // progress: the carriers are still working through the round
                    seen = now;
                    stallDeadline = t + ACK_STALL_NANOS;
                }
                long left = Math.min(stallDeadline, hardDeadline) - t;
                if (left <= 0) break;
                // Woken by the last ack; otherwise look at the progress a few times per stall period.
                LockSupport.parkNanos(this, Math.min(left, ACK_STALL_NANOS / 4));
            }
        } finally {
            awaitingAcks = false;
        }
    }

    /**
     * Unparks {@code t}, a connection thread of this poller, from this poller's thread rather than the caller's.
     *
     * <p>Why: with one carrier, the JDK scheduler's worker, once it takes a task from a submitter's queue, keeps
     * taking from that queue while it is not empty. The poller refills its queue round after round, so
     * connection threads a pipeline stage unparked into the stage thread's own queue waited behind whole runs of
     * rounds: with {@code GET /ok} at 64 connections beside commits at 64, commits fell to 8.7 k/s at a p99 of
     * 345 ms. Unparked by the poller, they join the rounds' queue in order: 26 k/s at a p99 of 15 ms in the same
     * test. The price, in paired runs of commits alone: 9-14 % fewer commits/s (a poller wake-up per persisted
     * batch). Unparking directly whenever the poller sleeps in select kept most of that but left a commit p99 of
     * 128 ms in the mixed test: rejected.
     *
     * <p>A poller waiting for its round's acks is not interrupted: the entry waits until the round has read (the
     * ack wait's bound, 2 ms without progress, caps the delay). With one carrier the woken thread would queue
     * behind that round anyway, and the poller parked ≈ 2.2 times per round instead of once (every persisted
     * batch unparked it). Without that unpark, in paired runs at 64 connections: commits +9-15 % at 10-16 % less
     * server CPU each with fsync off, +2-13 % durable; mixed with {@code GET /ok}: commits 30.8 → 34.8 k/s and
     * {@code /ok} 97.8 → 116 k req/s (bench/results/wake-in-ack-wait-20261126.txt). The round's last ack resumes
     * what queued meanwhile (see {@link #ack}).
     *
     * <p>Ordering: the caller enqueues, then reads {@code sleeping}; the poller writes it, then checks the queue
     * before it selects (and drains it after). All are volatile (the queue's indices included), so either the
     * poller sees the entry or the caller sees the flag and wakes the selector. A poller in its ack wait drains
     * the queue after each park and always selects next.
     */
    void wakeLater(Thread t) {
        if (!enqueue(wakes, t)) resume(t);
    }

    /**
     * Queues {@code t} for this poller's next drain of {@code queue} and wakes the poller if it sleeps; false when
     * the poller will not take it (it has stopped, or the queue is full), so the caller must act itself. A true
     * return may still see the entry handled twice, by the poller and by its last drain: both are harmless.
     */
    private boolean enqueue(MpscAtomicArrayQueue<Thread> queue, Thread t) {
        if (stopped || !queue.offer(t)) return false;
        if (stopped) return false;  // the poller may have drained for the last time before our offer
        wakeIfSleeping();
        return true;
    }

    /**
     * Starts a new connection's thread through the same queue as the wake-ups, so that it takes its turn behind
     * the threads woken before it. Started by the accept thread, it went to the scheduler from a submitter of
     * its own, and the carrier, which keeps taking from the submitter it last took from while that one has more,
     * served the poller's wake-ups first for as long as they kept coming: under 16 clients scraping /metrics
     * without pause, a new connection waited 12 s for its first answer (the abuse audit).
     */
    void startLater(Thread t) {
        wakeLater(t);  // the same queue: an unstarted thread is started where others are unparked (see resume)
    }

    /**
     * Resumes the queued threads. Once per drain that resumed any it counts in {@code resumes}: a thread that yields
     * compares that count around its yield to learn whether others ran meanwhile (see {@link TimeSlice}), and a
     * connection thread woken here (a commit answered) is one that did, like one resumed from a read.
     */
    private void drainWakes() {
        // The queue has one consumer at a time: the poller, or the thread making a round's last ack. One that finds
        // the other draining leaves it the entries; the poller looks at the queue again before it sleeps in select.
        if (wakeDrainer.compareAndSet(false, true)) drainWakesHeld();
    }

    /** The poller's last drain, once it has stopped: it waits out a drain in progress, then takes what is left. */
    private void drainWakesFinally() {
        while (!wakeDrainer.compareAndSet(false, true)) Thread.onSpinWait();
        drainWakesHeld();
    }

    private void drainWakesHeld() {
        try {
            Thread t = wakes.poll();
            if (t == null) return;
            resumes.increment();
            do resume(t); while ((t = wakes.poll()) != null);
        } finally {
            wakeDrainer.set(false);
        }
    }

    /**
     * Unparks {@code t}, or starts it if it was never started (from {@link #startLater}); a start that another
     * thread just made (a hand-off and the poller's last drain may both try) is not an error.
     */
    private static void resume(Thread t) {
        if (t.getState() != Thread.State.NEW) {
            LockSupport.unpark(t);
            return;
        }
        try {
            t.start();
        } catch (IllegalThreadStateException alreadyStarted) {
            // the other side started it
        }
    }

    /**
     * Gives up the carrier until the threads woken before this call have had their turn: the calling thread
     * queues itself with the poller and parks, and the poller unparks it once it has parked (see
     * {@link #resumeYielded}). Not {@link Thread#yield()}: on JDK 21-25 that puts a virtual thread back at the
     * head of its carrier's own queue, ahead of every thread the poller woke.
     *
     * <p>Not {@link #wakeLater} either: a poller that is awake can take the entry before the thread has parked,
     * and the unpark then only leaves a permit, so the park returns at once and the thread runs on ahead of
     * everyone (a review measured that for 1811-1949 of 2000 yields with one carrier and an idle poller).
     */
    void yieldTurn() {
        // Not queued: nobody would resume it, and a yield is a courtesy, so carry on.
        if (enqueue(yields, Thread.currentThread())) {
            LockSupport.park(this);  // a spurious return only ends this turn early
        }
    }

    /**
     * Unparks the threads that yielded, each only once it is parked (unmounted): unparked any earlier it would
     * find a permit and not give up its carrier. One not parked yet is looked at again in the next round (see
     * {@link #selectTimeoutMillis}); one that ended is dropped.
     */
    private void resumeYielded() {
        // Threads already passed over are looked at once more without spinning: one still running after a round
        // is not about to park (a stale permit ended its park early), and spinning on it would hold up the round.
        for (int n = yieldedNotParked.size(); n > 0; n--) resumeYielded(yieldedNotParked.poll(), 1);
        Thread t;
        while ((t = yields.poll()) != null) resumeYielded(t, YIELD_SPINS);
    }

    private void resumeYielded(Thread t, int looks) {
        // WAITING only once the park has unmounted the thread; while parking it is still RUNNABLE. A brief spin
        // covers the usual case, the thread parking right after it queued itself. A thread whose park a stale permit
        // ended has moved on and may next wait with a deadline (TIMED_WAITING): it is unparked too, a spurious
        // wake-up its wait tolerates, rather than looked at every round for as long as it waits.
        for (int i = 0; i < looks; i++) {
            Thread.State s = t.getState();
            if (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING) {
                LockSupport.unpark(t);
                return;
            }
            if (s == Thread.State.TERMINATED) return;
            Thread.onSpinWait();
        }
        yieldedNotParked.add(t);
    }

    /**
     * True when connection threads this poller woke have not run yet: woken READY and not acked, or queued for a
     * wake-up. A thread running a long time slice yields early for them (see {@link TimeSlice#due}). Those
     * unparked from the wake-up queue and not run yet are not seen: they have no ack.
     */
    boolean othersWaiting() {
        return unacked.get() > 0 || !wakes.isEmpty();
    }

    /**
     * A connection woken READY has done its read (or closed). The last ack of a round also resumes the wake-ups
     * queued during it (see {@link #wakeLater}) on the acking thread's carrier, before it wakes the poller: the
     * poller would resume them first thing anyway, and now they need not wait for it to be scheduled, which on
     * 2 busy cores took ≈ 20 µs on average while the carrier idled. Commits alone, 64 connections, fsync off:
     * +3-10 % in eight alternating pairs (medians of five: 55.5 k against 50.6 k/s); mixed with {@code GET /ok}:
     * no difference in five pairs (totals 90.7 k against 89.6 k req/s).
     */
    void ack() {
        if (unacked.decrementAndGet() <= 0 && awaitingAcks) {
            drainWakes();
            LockSupport.unpark(thread);
        }
    }

    /** Wakes idle connections now and on every later scan, so they close. */
    void drain() {
        draining = true;
        nextScan = 0;
        wakeIfSleeping();
        selector.wakeup();
    }

    /** True once the loop has ended: nothing will wake a connection that waits from now on. */
    boolean stopped() {
        return stopped;
    }

    void stop() {
        running = false;
        selector.wakeup();
    }

    void join(long millis) throws InterruptedException {
        thread.join(millis);
    }

    @Override
    public void run() {
        try {
            while (running) {
                try {
                    pollOnce();
                } catch (IOException | RuntimeException e) {
                    // One bad key or a transient failure must not take down every connection of this poller.
                    System.err.println("weaseldb: poller " + thread.getName() + ": " + e);
                }
            }
        } finally {
            stopped = true;
            drainWakesFinally();
            Thread t;
            while ((t = yieldedNotParked.poll()) != null) LockSupport.unpark(t);
            while ((t = yields.poll()) != null) LockSupport.unpark(t);
            for (SelectionKey k : selector.keys()) {
                if (k.attachment() instanceof Connection c) c.wake(Connection.CLOSED);
            }
            try {
                selector.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private void pollOnce() throws IOException {
        long now = System.nanoTime();
        if (now - nextScan >= 0) {
            scan(now);
            nextScan = now + SCAN_INTERVAL_NANOS;
        }
        long timeoutMs = selectTimeoutMillis(now);
        sleeping.set(true);
        try {
            if (wakes.isEmpty() && yields.isEmpty()) {  // after sleeping = true: see wakeLater and yieldTurn
                selector.select(onReady, timeoutMs);
            } else {
                selector.selectNow(onReady);
            }
        } finally {
            sleeping.set(false);
            drainWakes();
            resumeYielded();
            if (wokenThisRound > 0) {
                int n = wokenThisRound;
                wokenThisRound = 0;
                if (unacked.addAndGet(n) > 0) awaitAcks();
            }
        }
    }

    /** Until the next deadline scan, or sooner while yielded threads wait to be seen parked. */
    private long selectTimeoutMillis(long now) {
        long untilScan = Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextScan - now));
        return yieldedNotParked.isEmpty() ? untilScan : Math.min(untilScan, YIELD_RECHECK_MILLIS);
    }

    /** Sets interest unless the key was cancelled meanwhile (its connection closed on another thread). */
    private static void setInterest(SelectionKey key, int ops) {
        try {
            key.interestOps(ops);
        } catch (CancelledKeyException closed) {
            // the connection is closing; nothing to arm or disarm
        }
    }

    /**
     * A socket is ready. If its thread is parked waiting (and not yet woken) wake it and leave the interest
     * armed: by the time we select again it has normally consumed the data, so the level-triggered key does
     * not fire again and its next wait needs no interest change. Otherwise (the thread is busy, or was woken
     * and has not run yet) disarm, as EPOLLONESHOT would, so a level-triggered key cannot make this loop spin.
     */
    private void onReady(SelectionKey key) {
        Connection c = (Connection) key.attachment();
        if (c.waitingOps != 0 && c.signal == 0) {
            c.wakePending = true; // acked by the connection after its next read/write (Connection#ackWake)
            wokenThisRound++;
            c.wake(Connection.READY);
            return;
        }
        setInterest(key, 0);
        if (c.waitingOps != 0 && c.signal == 0) c.wake(Connection.READY); // it started waiting meanwhile (no ack: disarmed)
    }

    /** Fires passed deadlines, takes back long-idle read buffers; when draining, wakes idle connections. */
    private void scan(long now) {
        for (SelectionKey k : selector.keys()) {
            if (!(k.attachment() instanceof Connection c) || c.waitingOps == 0 || c.signal != 0) continue;
            c.releaseIdleBuffer(now);
            if (now - c.deadline >= 0) {
                setInterest(k, 0);
                c.wake(Connection.TIMED_OUT);
            } else if (draining && c.idle) {
                setInterest(k, 0);
                c.wake(Connection.CLOSED);
            }
        }
    }
}
