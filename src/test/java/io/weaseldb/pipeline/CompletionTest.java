package io.weaseldb.pipeline;

import static io.weaseldb.pipeline.Polling.awaitTrue;
import static io.weaseldb.pipeline.Polling.isParked;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class CompletionTest {

    static final class Answer extends Completion {
        String body;
    }

    @Test
    void awaitParksVirtualThreadUntilCompleteAndAbsorbsSpuriousWakeups() throws Exception {
        Answer answer = new Answer();
        AtomicReference<Object> seen = new AtomicReference<>();
        answer.reset();
        Thread waiter = Thread.ofVirtual().start(() -> {
            try {
                answer.await();
                seen.set(answer.body);
            } catch (Throwable t) {
                seen.set(t);
            }
        });
        awaitTrue("waiter parks", () -> isParked(waiter));
        LockSupport.unpark(waiter); // spurious wake-up: must go back to waiting
        awaitTrue("waiter parks again", () -> isParked(waiter));
        assertNull(seen.get());
        assertFalse(answer.isDone());

        answer.body = "committed";
        assertTrue(answer.complete());
        assertTrue(waiter.join(Duration.ofSeconds(10)));
        assertEquals("committed", seen.get());
        assertFalse(answer.complete(), "second complete is refused");
    }

    @Test
    void reusableAfterCompletion() throws Exception {
        Answer answer = new Answer();
        for (int i = 0; i < 1_000; i++) {
            answer.reset();
            int round = i;
            Thread completer = Thread.ofVirtual().start(() -> {
                answer.body = "r" + round;
                answer.complete();
            });
            answer.await();
            assertEquals("r" + i, answer.body);
            completer.join();
        }
    }

    @Test
    void completedBeforeAwaitReturnsImmediately() throws Exception {
        Answer answer = new Answer();
        answer.reset();
        answer.complete();
        assertTrue(answer.await(0, TimeUnit.NANOSECONDS));
        answer.await();
        assertTrue(answer.isDone());
    }

    @Test
    void timedAwaitReturnsFalseAndThePendingCompletionCannotBeReset() throws Exception {
        Answer answer = new Answer();
        answer.reset();
        assertFalse(answer.await(20, TimeUnit.MILLISECONDS));
        var e = assertThrows(IllegalStateException.class, answer::reset);
        assertTrue(e.getMessage().contains("still pending"), e.getMessage());
        assertTrue(answer.complete()); // the late completion still lands
        answer.reset();                // and then the completion is reusable
    }

    @Test
    void awaitWithoutResetIsAnError() {
        assertThrows(IllegalStateException.class, () -> new Answer().await());
        assertFalse(new Answer().complete());
    }

    @Test
    void interruptEndsAwaitWithInterruptedException() throws Exception {
        Answer answer = new Answer();
        answer.reset();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread waiter = Thread.ofVirtual().start(() -> {
            try {
                answer.await();
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        awaitTrue("waiter parks", () -> isParked(waiter));
        waiter.interrupt();
        assertTrue(waiter.join(Duration.ofSeconds(10)));
        assertInstanceOf(InterruptedException.class, thrown.get());
        assertFalse(answer.isDone());
    }
}
