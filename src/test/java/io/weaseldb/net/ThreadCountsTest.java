package io.weaseldb.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
        assertEquals(1, ThreadCounts.carriers(0, 8, 8));
        assertEquals(6, ThreadCounts.carriers(6, 4, 8));
    }
}
