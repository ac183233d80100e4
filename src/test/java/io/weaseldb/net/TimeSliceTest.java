package io.weaseldb.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weaseldb.server.TestServer;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class TimeSliceTest {
    private static final long MIN = TimeSlice.MIN_NANOS;

    @Test
    void aSliceIsUsedOnlyOnceItsTimeHasRunSinceTheLastWait() {
        TimeSlice s = new TimeSlice(0);
        assertFalse(s.due(MIN - 1, false));
        assertTrue(s.due(MIN, false));
        s.resumed(MIN);  // waited: a new slice
        assertFalse(s.due(2 * MIN - 1, false));
        assertTrue(s.due(2 * MIN, false));
    }

    @Test
    void yieldsNobodyUsedLengthenTheSliceUpToTheCapAndContentionShortensIt() {
        TimeSlice s = new TimeSlice(0);
        long now = 0;
        long expected = MIN;
        for (int i = 0; i < 10; i++) {
            now += s.sliceNanos();
            assertTrue(s.due(now, false));
            s.yielded(now, false);  // a lone thread: the yield let nobody run
            expected = Math.min(TimeSlice.MAX_NANOS, expected * 2);
            assertEquals(expected, s.sliceNanos());
            assertFalse(s.due(now + expected - 1, false), "a new slice starts at the yield");
        }
        assertEquals(TimeSlice.MAX_NANOS, s.sliceNanos());
        s.yielded(now, true);  // others ran: they are waiting, so turns are short again
        assertEquals(MIN, s.sliceNanos());
    }

    @Test
    void othersWaitingEndALongSliceAfterTheShortestOne() {
        TimeSlice s = new TimeSlice(0);
        long now = 0;
        while (s.sliceNanos() < TimeSlice.MAX_NANOS) {  // a lone thread's slice grows to the cap
            now += s.sliceNanos();
            s.yielded(now, false);
        }
        assertFalse(s.due(now + MIN - 1, true), "a thread runs at least the shortest slice");
        assertTrue(s.due(now + MIN, true), "then yields to threads woken meanwhile");
        assertFalse(s.due(now + TimeSlice.MAX_NANOS - 1, false), "nobody waiting: the whole slice");
        assertTrue(s.due(now + TimeSlice.MAX_NANOS, false));
    }

    /**
     * A thread that yields learns whether others ran from the server's count of resumed connection threads. One the
     * poller wakes for another thread (a commit answered by the pipeline) runs too and must count: before, only
     * threads resumed from a read or a yield did, so a replaying subscriber beside commit traffic took 8 ms slices.
     */
    @Test
    void aThreadThePollerWakesForAnotherThreadCountsAsResumed() throws Exception {
        LongAdder resumes = new LongAdder();
        Poller poller = new Poller(0, resumes);
        poller.start();
        try {
            Thread waiter = Thread.ofVirtual().start(() -> LockSupport.park(this));
            TestServer.awaitTrue("the waiter parks", Duration.ofSeconds(10), () -> waiter.getState() == Thread.State.WAITING);
            assertEquals(0, resumes.sum());
            poller.wakeLater(waiter);
            assertTrue(waiter.join(Duration.ofSeconds(10)), "the poller did not wake the waiter");
            // The poller counts before it unparks; unpark is not documented as a happens-before edge, so poll.
            TestServer.awaitTrue("the wake-up counted", Duration.ofSeconds(10), () -> resumes.sum() > 0);
            assertEquals(1, resumes.sum());
        } finally {
            poller.stop();
            poller.join(5_000);
        }
    }
}
