package io.weaseldb.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TimeSliceTest {
    private static final long MIN = TimeSlice.MIN_NANOS;

    @Test
    void aSliceIsUsedOnlyOnceItsTimeHasRunSinceTheLastWait() {
        TimeSlice s = new TimeSlice(0);
        assertFalse(s.used(MIN - 1));
        assertTrue(s.used(MIN));
        s.resumed(MIN);  // waited: a new slice
        assertFalse(s.used(2 * MIN - 1));
        assertTrue(s.used(2 * MIN));
    }

    @Test
    void yieldsNobodyUsedLengthenTheSliceUpToTheCapAndContentionShortensIt() {
        TimeSlice s = new TimeSlice(0);
        long now = 0;
        long expected = MIN;
        for (int i = 0; i < 10; i++) {
            now += s.sliceNanos();
            assertTrue(s.used(now));
            s.yielded(now, false);  // a lone thread: the yield let nobody run
            expected = Math.min(TimeSlice.MAX_NANOS, expected * 2);
            assertEquals(expected, s.sliceNanos());
            assertFalse(s.used(now + expected - 1), "a new slice starts at the yield");
        }
        assertEquals(TimeSlice.MAX_NANOS, s.sliceNanos());
        s.yielded(now, true);  // others ran: they are waiting, so turns are short again
        assertEquals(MIN, s.sliceNanos());
    }
}
