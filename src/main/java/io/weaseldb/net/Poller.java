package io.weaseldb.net;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A poller loop: one platform thread owning one epoll-backed {@link Selector}. Connection threads (virtual)
 * arm one-shot interest through {@link #arm} and park; when the socket is ready the poller disarms the key
 * (interest 0, the EPOLLONESHOT of the seed design) and unparks exactly that thread, which then owns the
 * connection again. No virtual thread ever enters {@link Selector#select}.
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
    private volatile boolean running = true;
    private volatile boolean draining;
    private long nextScan;

    Poller(int index) throws IOException {
        this.selector = Selector.open();
        this.thread = Thread.ofPlatform().name("weaseldb-poller-" + index).daemon(true).unstarted(this);
    }

    void start() {
        thread.start();
    }

    SelectionKey register(SocketChannel ch, Connection c) throws ClosedChannelException {
        return ch.register(selector, 0, c);
    }

    /** Arms one-shot interest for the calling connection thread; it parks next (see {@link Connection#await}). */
    void arm(SelectionKey key, int ops) {
        key.interestOps(ops);
        wakeIfSleeping();
    }

    private void wakeIfSleeping() {
        if (sleeping.get() && sleeping.compareAndSet(true, false)) selector.wakeup();
    }

    /** Wakes idle connections now and on every later scan, so they close. */
    void drain() {
        draining = true;
        nextScan = 0;
        wakeIfSleeping();
        selector.wakeup();
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
                long now = System.nanoTime();
                if (now - nextScan >= 0) {
                    scan(now);
                    nextScan = now + SCAN_INTERVAL_NANOS;
                }
                long timeoutMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextScan - now));
                sleeping.set(true);
                selector.select(this::onReady, timeoutMs);
                sleeping.set(false);
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("weaseldb: poller failed: " + e);
        } finally {
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

    private void onReady(SelectionKey key) {
        Connection c = (Connection) key.attachment();
        if (key.isValid()) key.interestOps(0); // one-shot: the connection thread owns the socket until it re-arms
        c.wake(Connection.READY);
    }

    /** Fires passed deadlines; when draining, also wakes connections idle between requests. */
    private void scan(long now) {
        for (SelectionKey k : selector.keys()) {
            if (!(k.attachment() instanceof Connection c) || c.waitingOps == 0) continue;
            if (now - c.deadline >= 0) {
                if (k.isValid()) k.interestOps(0);
                c.wake(Connection.TIMED_OUT);
            } else if (draining && c.idle) {
                if (k.isValid()) k.interestOps(0);
                c.wake(Connection.CLOSED);
            }
        }
    }
}
