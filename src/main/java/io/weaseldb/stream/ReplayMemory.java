package io.weaseldb.stream;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The heap that replays from disk may hold at once. A replaying subscriber renders a batch of old events into its
 * own memory and keeps it until the client has taken it; live events, by contrast, are written from the ring's
 * shared bytes. Without a bound, subscribers that ask for history and then stop reading would each keep a batch
 * (or a large event) for as long as their write timeout, and enough of them run the heap out. Over the budget, a
 * replay waits for the memory to be given back (by a write completing or timing out): history is served later,
 * never by running out of memory.
 *
 * <p>Counted in KiB, rounded up, so the budget fits a semaphore's int permits.
 */
final class ReplayMemory {
    private final Semaphore kib;
    private final int totalKib;

    ReplayMemory(long budgetBytes) {
        this.totalKib = (int) Math.min(Integer.MAX_VALUE, Math.max(1, budgetBytes >> 10));
        this.kib = new Semaphore(totalKib, true);  // first come, first served: a large event is not starved by batches
    }

    /**
     * Takes {@code bytes} (a single request larger than the whole budget takes all of it), waiting while others
     * hold it; gives up, returning -1, once {@code giveUp} says so (checked every 100 ms). Returns the KiB taken,
     * to hand back to {@link #release}.
     */
    int acquire(long bytes, BooleanSupplier giveUp) {
        int n = (int) Math.min(totalKib, Math.max(1, (bytes + 1023) >> 10));
        try {
            while (!kib.tryAcquire(n, 100, TimeUnit.MILLISECONDS)) {
                if (giveUp.getAsBoolean()) return -1;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
        return n;
    }

    void release(int taken) {
        if (taken > 0) kib.release(taken);
    }

    /** Bytes currently held by replays (for tests and metrics). */
    long heldBytes() {
        return (long) (totalKib - kib.availablePermits()) << 10;
    }
}
