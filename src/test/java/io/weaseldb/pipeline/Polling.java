package io.weaseldb.pipeline;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Poll-with-deadline helpers: the tests never sleep to synchronise. */
final class Polling {

    static final Duration DEADLINE = Duration.ofSeconds(10);

    private Polling() {
    }

    static void awaitTrue(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + DEADLINE + " waiting for: " + what);
            }
            LockSupport.parkNanos(100_000); // a polling interval, not a synchronisation
        }
    }

    /** Publishes, retrying while the ring is full; fails on STOPPED or after the deadline. */
    static <E, A> void publish(Pipeline<E> pipeline, EventTranslator<? super E, ? super A> translator, A arg) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (true) {
            PublishResult r = pipeline.tryPublish(translator, arg);
            if (r == PublishResult.PUBLISHED) {
                return;
            }
            if (r == PublishResult.STOPPED) {
                fail("pipeline " + pipeline.name() + " is stopped");
            }
            if (System.nanoTime() - deadline > 0) {
                fail("ring of " + pipeline.name() + " stayed full for " + DEADLINE);
            }
            // Back off like a client honouring Retry-After would: hot retries from dozens of
            // producers would only steal the stage threads' CPU on a small machine.
            LockSupport.parkNanos(20_000);
        }
    }

    static Thread threadNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no thread named " + name));
    }

    static boolean isParked(Thread t) {
        Thread.State s = t.getState();
        return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
    }
}
