package io.weaseldb.http;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The {@code Date} header line (RFC 9110 §5.6.7 IMF-fixdate), formatted at most once per second and shared
 * by every connection: the hot path reads a volatile reference and copies 37 bytes.
 */
public final class HttpDate {
    private static final DateTimeFormatter IMF =
        DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    private record Cached(long second, byte[] line) { }

    private static volatile Cached cached = format(System.currentTimeMillis() / 1000);

    private HttpDate() { }

    /** {@code "Date: ...\r\n"} for the current second. */
    public static byte[] headerLine() {
        long now = System.currentTimeMillis() / 1000;
        Cached c = cached;
        if (c.second != now) {
            // Benign race: two threads may both format the same second; either result is right.
            c = format(now);
            cached = c;
        }
        return c.line;
    }

    private static Cached format(long second) {
        String s = "Date: " + IMF.format(Instant.ofEpochSecond(second)) + "\r\n";
        return new Cached(second, s.getBytes(StandardCharsets.US_ASCII));
    }
}
