package io.weaseldb.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class AcceptFailureLogTest {
    @Test
    void printsTheFirstFailureThenAtMostOneLinePerIntervalWithTheCountInBetween() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AcceptFailureLog log = new AcceptFailureLog(1_000, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        IOException emfile = new IOException("Too many open files");
        log.report(emfile, 5_000);
        for (long t = 5_010; t < 6_000; t += 10) log.report(emfile, t); // 99 retries inside the interval
        log.report(emfile, 6_000);
        log.report(emfile, 6_500);
        log.report(emfile, 10_000);
        assertEquals("""
            weaseldb: accept failed: Too many open files
            weaseldb: accept failed: Too many open files (and 99 more since the last report)
            weaseldb: accept failed: Too many open files (and 1 more since the last report)
            """.replace("\n", System.lineSeparator()), bytes.toString(StandardCharsets.UTF_8));
    }
}
