package io.weaseldb.net;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Run in a JVM of its own with one carrier ({@code -Djdk.virtualThreadScheduler.parallelism=1}): two virtual
 * threads take turns through {@link Poller#yieldTurn}, and it prints how many of one thread's yields let the
 * other run no step ("fruitless"), as {@code yields=N fruitless=M}. Used by {@link PollerYieldTest}.
 */
final class YieldProbe {
    private YieldProbe() { }

    public static void main(String[] args) throws Exception {
        int yields = Integer.parseInt(args[0]);
        Poller poller = new Poller(0, new LongAdder());
        poller.start();
        AtomicLong othersSteps = new AtomicLong();
        AtomicLong fruitless = new AtomicLong();
        AtomicBoolean done = new AtomicBoolean();
        Thread other = Thread.ofVirtual().start(() -> {
            while (!done.get()) {
                othersSteps.incrementAndGet();
                poller.yieldTurn();
            }
        });
        Thread yielder = Thread.ofVirtual().start(() -> {
            for (int i = 0; i < yields; i++) {
                long before = othersSteps.get();
                poller.yieldTurn();
                if (othersSteps.get() == before) fruitless.incrementAndGet();
            }
        });
        yielder.join();
        done.set(true);
        other.join(10_000);
        System.out.println("yields=" + yields + " fruitless=" + fruitless.get() + " otherAlive=" + other.isAlive());
        poller.stop();
        poller.join(5_000);
    }
}
