package io.weaseldb.commit;

import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.RecyclerPool;
import org.jctools.queues.atomic.MpmcAtomicArrayQueue;

/**
 * Jackson's parser buffers, shared by every connection thread through a bounded lock-free array queue.
 *
 * <p>Why not one of jackson's pools: its thread-local pool would keep a recycler per connection (each
 * connection is a long-lived virtual thread: ~10 KB of idle buffers times every open connection), and its
 * shared deque pool allocates a list node on every release and unlinks one on every acquire (2-3% of the
 * carrier's time per commit in CPU samples). Here both are one CAS on a pre-sized array. A recycler that
 * finds the queue full is dropped for the collector; an empty queue makes a new one.
 */
final class JsonBufferPool implements RecyclerPool<BufferRecycler> {
    private static final long serialVersionUID = 1L;

    /**
     * Recyclers kept at most. Each request whose body is being parsed holds one, also while its thread waits for
     * more of the body, so a burst of slow uploads can hold more than this; what they give back beyond it is left
     * to the collector, so the idle pool stays small.
     */
    static final int CAPACITY = 64;

    private final transient MpmcAtomicArrayQueue<BufferRecycler> pool = new MpmcAtomicArrayQueue<>(CAPACITY);

    @Override
    public BufferRecycler acquirePooled() {
        BufferRecycler r = pool.poll();
        return r != null ? r : new BufferRecycler();
    }

    @Override
    public void releasePooled(BufferRecycler recycler) {
        pool.offer(recycler);
    }

    @Override
    public int pooledCount() {
        return pool.size();
    }

    @Override
    public boolean clear() {
        pool.clear();
        return true;
    }
}
