package io.weaseldb.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The id archive on real files, fed from a real log: what it keeps, in what order, damage, and what it lets go. */
class FileIdArchiveTest {
    @TempDir
    Path dir;

    private final AtomicLong clock = new AtomicLong(1_000_000);
    private static final long HOUR = 10_000;   // the retention "hours" of these tests: 10 s
    private static final long VERSIONS = 5;

    private FileIdArchive open(long maxEntries) throws IOException {
        return FileIdArchive.open(dir, true, HOUR, VERSIONS, maxEntries, clock::get);
    }

    private SegmentedFileLog log() throws IOException {
        return LogTestSupport.open(dir, SegmentedFileLog.Options.defaults().withFsync(false));
    }

    /** Appends versions {@code from..to}, each stamped {@code stampMillis}. */
    private static void append(SegmentedFileLog log, long from, long to, long stampMillis) throws IOException {
        for (long v = from; v <= to; v++) log.append(new LogRecord(v, "id-" + v, stampMillis, new byte[0]));
        log.sync();
    }

    private List<String> replay(FileIdArchive a, long before) throws IOException {
        List<String> out = new ArrayList<>();
        a.replay(before, (id, version, millis) -> out.add(id + "@" + version));
        return out;
    }

    /** Versions 1..30 in the log, their ids archived in three files: 1..9, 10..19, 20..24. */
    private void threeFilesOfVersions1To24() throws IOException {
        try (SegmentedFileLog log = log()) {
            append(log, 1, 30, clock.get());
            FileIdArchive a = open(1000);
            a.keep(log, 1, 10);
            a.keep(log, 10, 20);
            a.keep(log, 20, 25);
        }
    }

    /** The archive's files (not its floor mark). */
    private List<Path> files() throws IOException {
        return LogTestSupport.filesIn(dir.resolve(FileIdArchive.DIR)).stream()
            .filter(p -> p.getFileName().toString().endsWith(".ids")).toList();
    }

    private Path floorMark() {
        return dir.resolve(FileIdArchive.DIR).resolve(VersionMark.OLDEST.fileName());
    }

    @Test
    void keepsTheIdsWhoseRetentionHasNotPassedAndReplaysThemInOrder() throws IOException {
        try (SegmentedFileLog log = log()) {
            append(log, 1, 10, clock.get() - 2 * HOUR);  // hours passed; versions passed for 1..14 of 20
            append(log, 11, 20, clock.get());            // within the hours
            FileIdArchive a = open(1000);
            assertEquals(Long.MAX_VALUE, a.oldestVersion());
            a.keep(log, 1, 16);
            List<String> kept = List.of("id-11@11", "id-12@12", "id-13@13", "id-14@14", "id-15@15");
            assertEquals(kept, replay(a, 16));
            assertEquals(List.of("id-11@11", "id-12@12"), replay(a, 13), "only below the log's oldest version");
            assertEquals(kept, replay(open(1000), 16), "after reopening");
            assertTrue(open(1000).oldestVersion() <= 11);
        }
    }

    @Test
    void theVersionsRuleAloneKeepsAnId() throws IOException {
        try (SegmentedFileLog log = log()) {
            append(log, 1, 10, clock.get() - 2 * HOUR);
            FileIdArchive a = open(1000);
            a.keep(log, 1, 11);
            assertEquals(List.of("id-5@5", "id-6@6", "id-7@7", "id-8@8", "id-9@9", "id-10@10"), replay(a, 11),
                "10 - v <= 5 versions after them");
        }
    }

    @Test
    void overlappingFilesReplayEachVersionOnce() throws IOException {
        try (SegmentedFileLog log = log()) {
            append(log, 1, 30, clock.get());
            FileIdArchive a = open(1000);
            a.keep(log, 1, 10);
            a.keep(log, 5, 20);   // a crash cut the first truncation short after its first segment
            a.keep(log, 5, 25);   // the same first version again replaces that file
            assertEquals(2, a.files());
            List<String> expected = new ArrayList<>();
            for (int v = 1; v < 25; v++) expected.add("id-" + v + "@" + v);
            assertEquals(expected, replay(a, 25));
            assertEquals(expected, replay(open(1000), 25));
        }
    }

    @Test
    void nothingToKeepStillLeavesTheChainsLink() throws IOException {
        try (SegmentedFileLog log = log()) {
            append(log, 1, 20, clock.get() - 2 * HOUR);
            FileIdArchive a = open(1000);
            a.keep(log, 1, 10);
            assertEquals(1, files().size(), "a header-only file: versions 1..9 were archived, with no id left to keep");
            assertEquals(Long.MAX_VALUE, a.oldestVersion());
            assertEquals(List.of(), replay(open(1000), 10));
        }
    }

    /**
     * Damage a crash cannot cause, which would silently forget ids (their retries would commit again): a file cut at a
     * record boundary, a file deleted from the middle of the chain, the newest file deleted.
     */
    @Test
    void aFileCutShortOrMissingIsRefused() throws IOException {
        threeFilesOfVersions1To24();
        List<Path> f = files();
        byte[] middle = Files.readAllBytes(f.get(1));
        Files.write(f.get(1), java.util.Arrays.copyOf(middle, middle.length - 8 - "id-19".length() - 16));  // last record gone
        CorruptLogException cut = assertThrows(CorruptLogException.class, () -> open(1000));
        assertTrue(cut.getMessage().contains("holds 9 records but its header says 10"), cut.getMessage());

        Files.write(f.get(1), new byte[0]);
        CorruptLogException empty = assertThrows(CorruptLogException.class, () -> open(1000));
        assertTrue(empty.getMessage().contains("incomplete header"), empty.getMessage());

        Files.delete(f.get(1));
        CorruptLogException gap = assertThrows(CorruptLogException.class, () -> open(1000));
        assertTrue(gap.getMessage().contains("versions 10..19 are missing"), gap.getMessage());

        Files.write(f.get(1), middle);
        FileIdArchive whole = open(1000);
        assertEquals(24, replay(whole, 25).size());
        CorruptLogException newest = assertThrows(CorruptLogException.class, () -> replay(whole, 30));
        assertTrue(newest.getMessage().contains("versions 25..29, truncated from the log, are missing"), newest.getMessage());
    }

    @Test
    void aFileGoesOnceItsIdsHaveExpiredOrTheBoundIsExceeded() throws IOException {
        try (SegmentedFileLog log = log()) {
            append(log, 1, 10, clock.get());
            FileIdArchive a = open(1000);
            a.keep(log, 1, 11);
            clock.addAndGet(2 * HOUR);
            append(log, 11, 30, clock.get());
            a.keep(log, 11, 21);
            assertEquals(List.of(dir.resolve(FileIdArchive.DIR).resolve("00000000000000000011.ids")), files(),
                "1..10 expired by both rules");
            assertEquals("11", Files.readString(floorMark()).strip(), "the floor is raised before a file goes");

            FileIdArchive bounded = open(5);
            append(log, 31, 40, clock.get());
            bounded.keep(log, 21, 31);
            assertEquals(1, bounded.files(), "the 10 newer ids alone exceed the bound of 5");
            assertEquals("id-21@21", replay(bounded, 31).get(0));
        }
    }

    /**
     * The chain's other end: the archive deletes only files below its floor mark, so oldest files missing above it are
     * refused, and so is an archive with no file at all under a truncated log (the whole directory gone, the mark with
     * it). Each message says how to start anyway, and that way works.
     */
    @Test
    void theOldestFilesOrAllOfThemMissingAreRefused() throws IOException {
        threeFilesOfVersions1To24();
        assertEquals("1", Files.readString(floorMark()).strip(), "written with the first file");
        List<Path> f = files();
        Files.delete(f.get(0));
        CorruptLogException oldest = assertThrows(CorruptLogException.class, () -> open(1000));
        assertTrue(oldest.getMessage().contains("the ids of versions 1..9 are missing") && oldest.getMessage().contains(
            "write 10 into " + floorMark()), oldest.getMessage());
        Files.writeString(floorMark(), "10\n");
        assertEquals(15, replay(open(1000), 25).size(), "started without them, as the message says");

        for (Path p : LogTestSupport.filesIn(dir.resolve(FileIdArchive.DIR))) Files.delete(p);
        FileIdArchive none = open(1000);
        assertEquals(List.of(), replay(none, 1), "nothing truncated from the log: nothing to miss");
        CorruptLogException all = assertThrows(CorruptLogException.class, () -> replay(none, 25));
        assertTrue(all.getMessage().contains("the ids of versions 1..24, truncated from the log, are missing")
            && all.getMessage().contains("write 25 into " + floorMark()), all.getMessage());
        Files.writeString(floorMark(), "25\n");
        assertEquals(List.of(), replay(open(1000), 25), "started without them, as the message says");
    }

    /** An archive written before the floor mark existed gets one at its oldest file when opened. */
    @Test
    void anArchiveWithoutAFloorGetsOne() throws IOException {
        try (SegmentedFileLog log = log()) {
            append(log, 1, 30, clock.get());
            FileIdArchive a = open(1000);
            a.keep(log, 1, 10);
            a.keep(log, 10, 20);
        }
        Files.delete(files().get(0));
        Files.delete(floorMark());
        assertEquals(10, replay(open(1000), 20).size());
        assertEquals("10", Files.readString(floorMark()).strip());
    }

    @Test
    void damageIsRefusedNamingTheFileAndOffset() throws IOException {
        try (SegmentedFileLog log = log()) {
            append(log, 1, 10, clock.get());
            open(1000).keep(log, 1, 11);
        }
        Path file = files().get(0);
        byte[] b = Files.readAllBytes(file);
        int h = FileIdArchive.HEADER_BYTES;
        int second = h + 8 + (b[h + 3] & 0xff);  // the first record's length field is big-endian, < 256 here
        b[second + 20] ^= 1;           // inside the second record's timestamp
        Files.write(file, b);
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(1000));
        assertEquals(file, e.file());
        assertEquals(second, e.offset());
        assertTrue(e.getMessage().contains("request id archive") && e.getMessage().contains("CRC32C"), e.getMessage());
    }

    /** A write that fails (a full disk) names the file and versions, leaves no partial file, and keeps the chain. */
    @Test
    void aFailedWriteNamesWhatIsHeldUpAndLeavesNothing() throws IOException {
        try (SegmentedFileLog log = log()) {
            append(log, 1, 30, clock.get());
            FileIdArchive a = open(1000);
            a.keep(log, 1, 10);
            CommitLog failing = new CommitLog() {
                @Override public long lastVersion() { return log.lastVersion(); }
                @Override public long oldestVersion() { return log.oldestVersion(); }
                @Override public void append(LogRecord record) { throw new UnsupportedOperationException(); }
                @Override public void sync() { }
                @Override public void read(long from, java.util.function.Predicate<LogRecord> v) throws IOException {
                    throw new IOException("No space left on device");
                }
                @Override public long truncationPoint(long version) { return log.truncationPoint(version); }
                @Override public void truncateBefore(long version) { }
                @Override public void close() { }
            };
            IOException e = assertThrows(IOException.class, () -> a.keep(failing, 10, 20));
            assertTrue(e.getMessage().contains("00000000000000000010.ids") && e.getMessage().contains("versions 10..19")
                && e.getMessage().contains("No space left on device"), e.getMessage());
            assertEquals(List.of(dir.resolve(FileIdArchive.DIR).resolve("00000000000000000001.ids")), files(), "no partial file");
            a.keep(log, 10, 20);  // room again
            assertEquals(19, replay(open(1000), 20).size());
        }
    }

    @Test
    void anInterruptedWriteIsDiscarded() throws IOException {
        open(1000);
        Path temp = dir.resolve(FileIdArchive.DIR).resolve("00000000000000000001.ids.tmp");
        Files.write(temp, new byte[] {1, 2, 3}, StandardOpenOption.CREATE_NEW);
        FileIdArchive a = open(1000);
        assertFalse(Files.exists(temp));
        assertEquals(List.of(), replay(a, 1));
    }
}
