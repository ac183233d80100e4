package io.weaseldb.net;

import java.nio.ByteBuffer;
import org.jctools.queues.atomic.MpmcAtomicArrayQueue;

/**
 * Read buffers of one size shared by all connections. A connection holds one while a request is in flight and
 * gives it back while idle between requests, so an idle keep-alive connection costs no buffer. Bounded: at most
 * {@code capacity} free buffers are kept; beyond that they are left to the GC. (JCTools' atomic variant: no
 * sun.misc.Unsafe, which JDK 24+ warns about.)
 */
final class BufferPool {
    /** A heap array and the ByteBuffer view over it that socket reads use (made once, reused). */
    static final class Buf {
        final byte[] array;
        final ByteBuffer view;
        private final BufferPool pool;

        Buf(BufferPool pool, int size) {
            this.pool = pool;
            array = new byte[size];
            view = ByteBuffer.wrap(array);
        }

        /** Gives the buffer back to the pool it came from. */
        void release() {
            pool.free.relaxedOffer(this);
        }
    }

    private final int bufferSize;
    private final MpmcAtomicArrayQueue<Buf> free;

    BufferPool(int bufferSize, int capacity) {
        this.bufferSize = bufferSize;
        this.free = new MpmcAtomicArrayQueue<>(Math.max(2, capacity));
    }

    int bufferSize() { return bufferSize; }

    Buf acquire() {
        Buf b = free.relaxedPoll();
        return b != null ? b : new Buf(this, bufferSize);
    }
}
