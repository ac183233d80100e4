package io.weaseldb.stream;

/**
 * What the feed needs from the connection that carries a subscription. The api package implements it over an
 * HTTP exchange; the feed itself knows nothing about HTTP.
 */
public interface StreamControl {
    /** True once the server is draining: the stream should flush what it has and end. */
    boolean draining();

    /** Closes the connection from any thread, so that a write blocked on a full socket fails at once. */
    void abort();

    /** True when the client is known to have gone (checked without blocking). */
    default boolean clientGone() {
        return false;
    }

    /**
     * Wakes the subscription's thread {@code t}, parked waiting for new events, in the same order as the
     * connection's I/O wake-ups (over HTTP: through its poller, see {@code Exchange#threadWaker}). Called by the
     * feed's notifier thread.
     */
    default void wake(Thread t) {
        java.util.concurrent.locks.LockSupport.unpark(t);
    }

    /** Lets other threads run between batches of a stream that never blocks (over HTTP: see {@code Exchange#yieldToOthers}). */
    default void yieldToOthers() {
        Thread.yield();
    }
}
