package io.weaseldb.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class FailureReportsTest {
    @Test
    void reportsTheFirstFailureThenOncePerIntervalWithTheCount() {
        FailureReports reports = new FailureReports(100);
        assertEquals(1, reports.failed(1_000));
        assertEquals(0, reports.failed(1_050));
        assertEquals(0, reports.failed(1_099));
        assertEquals(4, reports.failed(1_100));
        assertEquals(0, reports.failed(1_150));
        assertEquals(5, reports.succeeded());
        assertEquals(0, reports.succeeded());
    }

    @Test
    void aNewRunOfFailuresIsReportedAtOnce() {
        FailureReports reports = new FailureReports(100);
        assertEquals(1, reports.failed(1_000));
        assertEquals(1, reports.succeeded());
        assertEquals(1, reports.failed(1_010));
        assertEquals(0, reports.failed(1_020));
    }

    @Test
    void worksAcrossTheNanoTimeSignFlip() {
        FailureReports reports = new FailureReports(100);
        assertEquals(1, reports.failed(Long.MAX_VALUE - 10));
        assertEquals(0, reports.failed(Long.MAX_VALUE));
        assertEquals(3, reports.failed(Long.MIN_VALUE + 90));
    }
}
