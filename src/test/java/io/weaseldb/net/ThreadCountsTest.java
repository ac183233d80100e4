package io.weaseldb.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class ThreadCountsTest {
    @Test
    void pollersDefaultToHalfTheCoresAtLeastOne() {
        assertEquals(1, ThreadCounts.pollers(0, 1));
        assertEquals(1, ThreadCounts.pollers(0, 2));
        assertEquals(1, ThreadCounts.pollers(0, 3));
        assertEquals(4, ThreadCounts.pollers(0, 8));
        assertEquals(3, ThreadCounts.pollers(3, 8));
    }

    @Test
    void carriersDefaultToTheCoresThePollersLeaveAtLeastOne() {
        assertEquals(1, ThreadCounts.carriers(0, 1, 1));
        assertEquals(1, ThreadCounts.carriers(0, 1, 2));
        assertEquals(2, ThreadCounts.carriers(0, 1, 3));
        assertEquals(4, ThreadCounts.carriers(0, 4, 8));
        assertEquals(2, ThreadCounts.carriers(0, 8, 8), "several pollers never share one carrier by default");
        assertEquals(2, ThreadCounts.carriers(0, 2, 2));
        assertEquals(6, ThreadCounts.carriers(6, 4, 8));
        assertEquals(1, ThreadCounts.carriers(1, 2, 2), "an explicit count is kept...");
        assertNotNull(ThreadCounts.warning(2, 1), "...and warned about");
        assertNull(ThreadCounts.warning(1, 1));
        assertNull(ThreadCounts.warning(3, 2));
    }
}
