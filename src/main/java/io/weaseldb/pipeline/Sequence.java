package io.weaseldb.pipeline;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Left padding: 120 bytes so that {@link SequenceValue#value} never shares a cache line (64 B, or
 * the 128 B spatial-prefetch pair on x86) with whatever object the allocator placed before us.
 * The JVM lays out superclass fields before subclass fields, which is what makes this JCTools-style
 * hierarchy padding work without {@code @Contended}.
 */
abstract class SequenceLhsPad {
    long p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
}

abstract class SequenceValue extends SequenceLhsPad {
    static final VarHandle VALUE;

    static {
        try {
            VALUE = MethodHandles.lookup().findVarHandle(SequenceValue.class, "value", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Only ever accessed through {@link #VALUE} with an explicit access mode. */
    long value;
}

/** Right padding: keeps the next object's fields off our line. */
abstract class SequenceRhsPad extends SequenceValue {
    long q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;
}

/**
 * A cache-line padded {@code long} with explicit memory-ordering accessors: the hot, single-writer
 * counters of the pipeline (claim cursor, stage sequences, parked flags). Every call site says which
 * ordering it needs and why; nothing here is implicitly volatile.
 */
final class Sequence extends SequenceRhsPad {

    Sequence(long initial) {
        // Plain is enough: a Sequence is published to other threads by final fields and Thread.start().
        VALUE.set(this, initial);
    }

    long getPlain() {
        return (long) VALUE.get(this);
    }

    /** No ordering, but never hoisted out of a loop: for polling and best-effort reads (gauges). */
    long getOpaque() {
        return (long) VALUE.getOpaque(this);
    }

    /** Pairs with {@link #setRelease}: everything written before that release is visible after this. */
    long getAcquire() {
        return (long) VALUE.getAcquire(this);
    }

    long getVolatile() {
        return (long) VALUE.getVolatile(this);
    }

    /** Publishes every prior write of the writer (the single-writer "lazySet"). */
    void setRelease(long v) {
        VALUE.setRelease(this, v);
    }

    void setOpaque(long v) {
        VALUE.setOpaque(this, v);
    }

    boolean compareAndSet(long expected, long v) {
        return VALUE.compareAndSet(this, expected, v);
    }

    long getAndBitwiseOr(long bits) {
        return (long) VALUE.getAndBitwiseOr(this, bits);
    }

    long getAndBitwiseAnd(long bits) {
        return (long) VALUE.getAndBitwiseAnd(this, bits);
    }

    /** Acquire-reads all sequences and returns their minimum ({@code Long.MAX_VALUE} when empty). */
    static long minimum(Sequence[] sequences) {
        long min = Long.MAX_VALUE;
        for (Sequence s : sequences) {
            min = Math.min(min, s.getAcquire());
        }
        return min;
    }

    @Override
    public String toString() {
        return Long.toString(getOpaque());
    }
}
