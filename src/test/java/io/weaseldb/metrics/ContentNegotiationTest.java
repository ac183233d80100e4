package io.weaseldb.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which exposition format an Accept header gets (RFC 9110 §12.5.1 weights); the scrape tests cover the bytes. */
class ContentNegotiationTest {
    @ParameterizedTest(name = "[{index}] {0} -> openmetrics={1}")
    @CsvSource(delimiter = '|', value = {
        // Prometheus 2.x/3.x scrape header
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1 | true",
        "application/openmetrics-text; version=1.0.0 | true",
        "APPLICATION/OpenMetrics-Text | true",
        "application/openmetrics-text, text/plain | true",
        "application/* | true",
        "application/*;q=0.9, text/plain;q=0.5 | true",
        // q=0 is 'not acceptable'; the higher weight wins whatever the order
        "application/openmetrics-text;q=0, text/plain | false",
        "text/plain;q=1, application/openmetrics-text;q=0.5 | false",
        "application/openmetrics-text;q=0 | false",
        "application/openmetrics-text;q=zero | false",
        // the most specific range decides: an explicit q=0 is not rescued by */*
        "*/*, application/openmetrics-text;q=0 | false",
        "*/* | false",
        "text/plain | false",
        "application/json | false",
        "'' | false",
    })
    void picksTheFormatTheClientWeighsHighest(String accept, boolean openMetrics) {
        assertEquals(openMetrics, Metrics.wantsOpenMetrics(accept), accept);
    }
}
