package io.weaseldb.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weaseldb.server.TestServer;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * The last ack of a round resumes the wake-ups queued during it, without waiting for the poller to run. The poller
 * here is never started, so only the ack can deliver the wake-up.
 */
class PollerAckTest {
    @Test
    void theRoundsLastAckResumesTheWakeUpsQueuedDuringIt() throws Exception {
        LongAdder resumes = new LongAdder();
        Poller poller = new Poller(0, resumes);
        ((AtomicInteger) field("unacked").get(poller)).set(2);  // a round of two woken connections
        field("awaitingAcks").setBoolean(poller, true);         // the poller waits for their acks

        Thread answered = Thread.ofVirtual().start(() -> LockSupport.park(this));
        TestServer.awaitTrue("the thread parks", Duration.ofSeconds(10), () -> answered.getState() == Thread.State.WAITING);
        poller.wakeLater(answered);  // a pipeline answered it while the round was reading

        poller.ack();
        assertFalse(answered.join(Duration.ofMillis(200)), "resumed before the round's last ack");
        poller.ack();
        assertTrue(answered.join(Duration.ofSeconds(10)), "the last ack did not resume the queued wake-up");
        assertEquals(1, resumes.sum());
    }

    private static Field field(String name) throws NoSuchFieldException {
        Field f = Poller.class.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }
}
