package io.weaseldb.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** Deterministic records and on-disk inspection shared by the log tests. */
final class LogTestSupport {
    private LogTestSupport() { }

    static LogRecord record(long v) {
        byte[] payload = new byte[(int) (v * 7 % 61)];
        for (int i = 0; i < payload.length; i++) payload[i] = (byte) (v * 31 + i);
        return new LogRecord(v, "request-id-000000000-" + v, 1_700_000_000_000L + v, payload);
    }

    static void assertRecord(long v, LogRecord r) {
        LogRecord e = record(v);
        assertEquals(e.version(), r.version(), "version");
        assertEquals(e.requestId(), r.requestId(), "requestId of " + v);
        assertEquals(e.timestampMillis(), r.timestampMillis(), "timestamp of " + v);
        assertArrayEquals(e.payload(), r.payload(), "payload of " + v);
    }

    static SegmentedFileLog open(Path dir, SegmentedFileLog.Options opts) throws IOException {
        return SegmentedFileLog.open(dir, opts, new SimpleMeterRegistry());
    }

    static void appendRange(SegmentedFileLog log, long from, long to) throws IOException {
        for (long v = from; v <= to; v++) log.append(record(v));
        log.sync();
        log.afterSync();  // as the commit pipeline does once the batch is answered
    }

    static List<LogRecord> readAll(CommitLog log, long from) throws IOException {
        List<LogRecord> out = new ArrayList<>();
        log.read(from, out::add);
        return out;
    }

    /** Asserts the log returns exactly versions {@code from..to} with the expected contents. */
    static void assertReads(CommitLog log, long from, long to) throws IOException {
        List<LogRecord> got = readAll(log, from);
        long first = Math.max(from, 1); // versions start at 1
        assertEquals(Math.max(0, to - first + 1), got.size(), "records read from " + from);
        for (int i = 0; i < got.size(); i++) assertRecord(first + i, got.get(i));
    }

    /** The files of {@code dir}, sorted by name. */
    static List<Path> filesIn(Path dir) throws IOException {
        try (var s = java.nio.file.Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    static List<Path> segmentFiles(Path dataDir) throws IOException {
        return LogRecovery.listSegments(dataDir.resolve(SegmentedFileLog.LOG_DIR));
    }

    /** Byte offsets of every record in a segment file, plus the end offset as the last element. */
    static List<Long> recordOffsets(Path segment) throws IOException {
        List<Long> offsets = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ)) {
            RecordScanner s = new RecordScanner(ch, LogFormat.HEADER_BYTES, ch.size(), Integer.MAX_VALUE - 64);
            while (s.next() == RecordScanner.Result.RECORD) offsets.add(s.recordOffset());
            offsets.add(s.offset());
        }
        return offsets;
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
