package io.weaseldb.pipeline;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The pre-allocated, power-of-two ring of mutable events plus its multi-producer claim/publish
 * protocol (the Disruptor's MultiProducerSequencer, reduced to what the pipeline needs).
 *
 * <p>Per slot it keeps: the event (allocated once), a publication stamp holding the sequence last
 * published into the slot (a consumer only trusts the slot when the stamp equals the sequence it
 * wants, so there is no ABA and no separate "round" counter), a time stamp for the wait timer, and a
 * cancelled flag for a claim whose translator threw.
 *
 * <p>A claimed slot is never given back: whatever happens after {@link #tryClaim()} the caller must
 * {@link #publish} it, otherwise every stage would stall behind the hole.
 */
final class RingBuffer<E> {

    /** Bit set in the claim cursor while the ring refuses claims (before start, after stop). */
    static final long CLOSED = 1L << 62;
    /** {@link #tryClaim()} result: the slot the claim would take has not been released by the last stage. */
    static final long REJECTED_FULL = -1;
    /** {@link #tryClaim()} result: the ring is closed. */
    static final long REJECTED_CLOSED = -2;

    /**
     * Padding, in elements, at both ends of the per-slot arrays: 32 references (128 B even without
     * compressed oops) or 32 longs keep slot 0 and slot size-1 off cache lines shared with the array
     * header or a neighbouring object.
     */
    private static final int PAD = 32;

    private static final VarHandle PUBLISHED = MethodHandles.arrayElementVarHandle(long[].class);

    private final int size;
    private final int mask;
    /** Written only here, in the constructor; read plainly (final field => safely published). */
    private final Object[] entries;
    /** Publication stamps, accessed only through {@link #PUBLISHED} (release store / acquire load). */
    private final long[] published;
    /**
     * nanoTime when the slot became ready for the next stage (publish, then each stage's batch end).
     * Plain accesses: every write happens before the release that hands the slot on, every read after
     * the matching acquire, so the stage chain itself orders them.
     */
    private final long[] readyNanos;
    /** Plain, like {@link #readyNanos}: set by the producer before publishing. */
    private final boolean[] cancelled;

    /** Next sequence to claim (OR {@link #CLOSED}). Contended by all producers: padded. */
    private final Sequence claimCursor = new Sequence(CLOSED);
    /** Last-stage sequences: a producer may claim {@code s} only once all of them are ≥ {@code s - size}. */
    private final Sequence[] gatingSequences;
    /**
     * A recent minimum of {@link #gatingSequences}, shared by producers so that they rarely scan them.
     * Racy by design: a producer may overwrite a newer value with an older one, which is still a valid
     * lower bound (sequences only grow). Release/acquire so a producer trusting another producer's
     * cached value also inherits its happens-before edge with the last stage (see {@link #tryClaim()}).
     */
    private final Sequence gatingCache = new Sequence(-1);

    RingBuffer(int size, Supplier<? extends E> factory, Sequence[] gatingSequences) {
        if (Integer.bitCount(size) != 1 || size < 2) {
            throw new IllegalArgumentException("ring size must be a power of two >= 2, was " + size);
        }
        this.size = size;
        this.mask = size - 1;
        this.gatingSequences = gatingSequences.clone();
        this.entries = new Object[size + 2 * PAD];
        this.published = new long[size + 2 * PAD];
        this.readyNanos = new long[size + 2 * PAD];
        this.cancelled = new boolean[size + 2 * PAD];
        for (int i = 0; i < size; i++) {
            entries[PAD + i] = Objects.requireNonNull(factory.get(), "event factory returned null");
            // -1 never equals a real sequence (they start at 0), so no slot looks published initially.
            published[PAD + i] = -1;
        }
    }

    int size() {
        return size;
    }

    private int index(long sequence) {
        return PAD + (int) (sequence & mask);
    }

    @SuppressWarnings("unchecked")
    E entry(long sequence) {
        return (E) entries[index(sequence)];
    }

    /**
     * Claims the next sequence without ever blocking.
     *
     * @return the claimed sequence (≥ 0), {@link #REJECTED_FULL} or {@link #REJECTED_CLOSED}
     */
    long tryClaim() {
        while (true) {
            // Opaque: any value will do, the CAS below validates it (and a stale "open" value simply
            // fails the CAS against a cursor that has the CLOSED bit set).
            long next = claimCursor.getOpaque();
            if ((next & CLOSED) != 0) {
                return REJECTED_CLOSED;
            }
            long wrapPoint = next - size; // the sequence whose slot we are about to overwrite
            if (wrapPoint > gatingCache.getAcquire()) {
                // Acquire on each last-stage sequence: the last stage's reads and writes of the slot
                // (released when it advanced) happen-before the translator's writes into it.
                long minimum = Sequence.minimum(gatingSequences);
                gatingCache.setRelease(minimum);
                if (wrapPoint > minimum) {
                    return REJECTED_FULL;
                }
            }
            // Volatile CAS is the linearisation point of the claim; losing it means another producer
            // progressed (lock-free), so just retry with the fresh cursor.
            if (claimCursor.compareAndSet(next, next + 1)) {
                return next;
            }
            Thread.onSpinWait();
        }
    }

    /**
     * Makes {@code sequence} visible to the first stage. Must be called exactly once per claim.
     *
     * @param cancel true when the event was not filled (its translator threw): stages skip it
     */
    void publish(long sequence, boolean cancel) {
        int i = index(sequence);
        readyNanos[i] = System.nanoTime();
        cancelled[i] = cancel;
        // Release: the translator's writes to the event, the stamp and the flag above are visible to
        // any consumer whose acquire load of this element sees `sequence`.
        PUBLISHED.setRelease(published, i, sequence);
    }

    /**
     * Highest sequence {@code h} in {@code [from, limit]} such that every sequence in {@code [from, h]}
     * is published, or {@code from - 1} when {@code from} is not. Multi-producer publication is out of
     * order, so a consumer must stop at the first hole.
     */
    long highestPublished(long from, long limit) {
        for (long s = from; s <= limit; s++) {
            // Acquire pairs with the release in publish(): seeing the stamp means seeing the event.
            if ((long) PUBLISHED.getAcquire(published, index(s)) != s) {
                return s - 1;
            }
        }
        return limit;
    }

    boolean isCancelled(long sequence) {
        return cancelled[index(sequence)];
    }

    long readyNanos(long sequence) {
        return readyNanos[index(sequence)];
    }

    void setReadyNanos(long sequence, long nanos) {
        readyNanos[index(sequence)] = nanos;
    }

    /** Number of sequences claimed so far (best effort: for gauges). */
    long claimedCount() {
        return claimCursor.getOpaque() & ~CLOSED;
    }

    /** Starts accepting claims. */
    void open() {
        claimCursor.getAndBitwiseAnd(~CLOSED);
    }

    /**
     * Atomically stops accepting claims.
     *
     * @return the last sequence ever claimed ({@code -1} if none): every producer that got a sequence
     *     got one ≤ this, and no producer will get one later, because its CAS expects a cursor
     *     without the CLOSED bit
     */
    long close() {
        return (claimCursor.getAndBitwiseOr(CLOSED) & ~CLOSED) - 1;
    }
}
