package io.weaseldb.storage;

import static io.weaseldb.storage.LogTestSupport.appendRange;
import static io.weaseldb.storage.LogTestSupport.assertReads;
import static io.weaseldb.storage.LogTestSupport.open;
import static io.weaseldb.storage.LogTestSupport.recordOffsets;
import static io.weaseldb.storage.LogTestSupport.segmentFiles;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogRecoveryTest {
    /**
     * fsync off: these tests lay files out byte by byte, and with fsync on the log would write the active
     * segment full of zeros first (see {@link SegmentPreallocationTest}).
     */
    static final SegmentedFileLog.Options SMALL = SegmentedFileLogTest.SMALL.withFsync(false);
    /** Big enough that everything stays in one segment. */
    static final SegmentedFileLog.Options ONE_SEGMENT = SMALL.withSegmentBytes(1 << 20);

    @TempDir
    Path dir;

    private Path buildLog(SegmentedFileLog.Options opts, long records) throws IOException {
        try (SegmentedFileLog log = open(dir, opts)) {
            appendRange(log, 1, records);
        }
        List<Path> files = segmentFiles(dir);
        return files.get(files.size() - 1);
    }

    @Test
    void tornTailAtEveryByteOfTheLastRecordIsCutOffAndAppendingContinues() throws IOException {
        Path last = buildLog(SMALL, 20);
        assertTrue(segmentFiles(dir).size() > 2);
        byte[] original = Files.readAllBytes(last);
        List<Long> offsets = recordOffsets(last);
        int start = (int) (long) offsets.get(offsets.size() - 2);
        int end = (int) (long) offsets.get(offsets.size() - 1);
        assertEquals(original.length, end);
        for (int cut = start; cut < end; cut++) {
            Files.write(last, Arrays.copyOf(original, cut));
            try (SegmentedFileLog log = open(dir, SMALL)) {
                assertEquals(19, log.lastVersion(), "cut at " + cut);
                // Cut to the last good record; or, where what is left of the torn one is zeros (the top bytes of
                // its length), kept as a zero tail that the next append writes over.
                byte[] left = Files.readAllBytes(last);
                assertTrue(left.length == start || Arrays.equals(new byte[left.length - start], Arrays.copyOfRange(left, start, left.length)),
                        "file ends at the last good record or in zeros after it (cut at " + cut + ")");
                assertReads(log, 1, 19);
                appendRange(log, 20, 20);
            }
            // The re-appended record is encoded exactly as before.
            assertArrayEquals(original, Files.readAllBytes(last), "cut at " + cut);
        }
        try (SegmentedFileLog log = open(dir, SMALL)) {
            assertReads(log, 1, 20);
        }
    }

    /**
     * Retention records how far it truncated before deleting. Segments missing below the oldest kept one, or all of
     * them, were deleted by something else: refused, naming the missing versions, instead of starting on a log that
     * lost acknowledged commits (or restarting versions at 1).
     */
    @Test
    void segmentsDeletedByAnythingButRetentionAreRefused() throws IOException {
        try (SegmentedFileLog log = open(dir, SMALL)) {
            appendRange(log, 1, 30);
            log.sync();
            log.truncateBefore(10);
        }
        List<Path> files = segmentFiles(dir);
        long oldest = LogFormat.parseFileName(files.get(0));
        assertTrue(oldest > 1 && oldest <= 10 && files.size() > 1, "retention removed some segments: " + oldest);
        try (SegmentedFileLog log = open(dir, SMALL)) {
            assertEquals(oldest, log.oldestVersion(), "what retention did is fine");
        }
        Files.delete(files.get(0));
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(dir, SMALL));
        assertTrue(e.getMessage().contains("segments holding versions " + oldest + ".."), e.getMessage());
        for (Path f : segmentFiles(dir)) Files.delete(f);
        e = assertThrows(CorruptLogException.class, () -> open(dir, SMALL));
        assertTrue(e.getMessage().contains("are missing"), "not a fresh log at version 1: " + e.getMessage());
    }

    /**
     * The log never deletes its newest segment. A log whose newest segment is gone (an operator, a partial restore)
     * is refused naming it, instead of starting at an older version and handing the lost versions out again; a mark
     * that lags behind the segments (a crash between a roll's new segment and its mark) is raised at open.
     */
    @Test
    void aMissingNewestSegmentIsRefused() throws IOException {
        buildLog(SMALL, 30);
        List<Path> files = segmentFiles(dir);
        assertTrue(files.size() > 2, "several segments: " + files);
        Path newest = files.get(files.size() - 1);
        Path mark = dir.resolve("log").resolve(VersionMark.NEWEST_SEGMENT.fileName());
        assertEquals(String.valueOf(LogFormat.parseFileName(newest)), Files.readString(mark).strip());
        byte[] saved = Files.readAllBytes(newest);
        Files.delete(newest);
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(dir, SMALL));
        assertTrue(e.getMessage().contains(newest.getFileName().toString()) && e.getMessage().contains("Restore the segment"),
            e.getMessage());
        assertEquals(files.size() - 1, segmentFiles(dir).size(), "nothing modified");
        // Restored, it opens with every record.
        Files.write(newest, saved);
        try (SegmentedFileLog log = open(dir, SMALL)) {
            assertReads(log, 1, 30);
        }
        // A mark behind the newest segment is a crash in a roll, not a loss: raised at open.
        Files.writeString(mark, "1\n");
        try (SegmentedFileLog log = open(dir, SMALL)) {
            assertEquals(30, log.lastVersion());
        }
        assertEquals(String.valueOf(LogFormat.parseFileName(newest)), Files.readString(mark).strip());
        // The documented way to accept the loss: delete the mark with the segment.
        Files.delete(newest);
        Files.delete(mark);
        try (SegmentedFileLog log = open(dir, SMALL)) {
            assertEquals(LogFormat.parseFileName(newest) - 1, log.lastVersion());
        }
    }

    /**
     * A disk that fills up at a roll leaves the new segment without its mark, and no room to raise it at the next
     * start: the log opens anyway (the old mark still checks the segments below it). Without any mark, the one check
     * there is, the open fails. The failing write here is a non-empty directory in the temporary file's place.
     */
    @Test
    void aMarkThatCannotBeRaisedAtOpenDoesNotKeepTheLogShut() throws IOException {
        buildLog(SMALL, 30);
        Path logDir = dir.resolve("log");
        Path mark = logDir.resolve(VersionMark.NEWEST_SEGMENT.fileName());
        Files.writeString(mark, "1\n");
        Path blocked = Files.createDirectory(logDir.resolve(VersionMark.NEWEST_SEGMENT.fileName() + ".tmp"));
        Files.writeString(blocked.resolve("keep"), "so that the failed write's clean-up cannot remove the directory");
        try (SegmentedFileLog log = open(dir, SMALL)) {
            assertEquals(30, log.lastVersion());
            appendRange(log, 31, 31);
            log.sync();
        }
        assertEquals("1", Files.readString(mark).strip(), "left as it was");
        Files.delete(mark);
        assertThrows(IOException.class, () -> open(dir, SMALL));
        Files.delete(blocked.resolve("keep"));
        Files.delete(blocked);
        try (SegmentedFileLog log = open(dir, SMALL)) {
            assertEquals(31, log.lastVersion());
        }
        long newest = LogFormat.parseFileName(segmentFiles(dir).get(segmentFiles(dir).size() - 1));
        assertEquals(String.valueOf(newest), Files.readString(mark).strip(), "raised once it could be");
    }

    /** A log made before the floor file existed gets one at its oldest segment, and opens as before. */
    @Test
    void aLogWithoutAFloorGetsOne() throws IOException {
        buildLog(SMALL, 20);
        Path floor = dir.resolve("log").resolve(VersionMark.OLDEST.fileName());
        assertEquals("1", Files.readString(floor).strip());
        Files.delete(segmentFiles(dir).get(0));  // as an old server's retention would have
        Files.delete(floor);
        long oldest = LogFormat.parseFileName(segmentFiles(dir).get(0));
        try (SegmentedFileLog log = open(dir, SMALL)) {
            assertEquals(oldest, log.oldestVersion());
        }
        assertEquals(String.valueOf(oldest), Files.readString(floor).strip());
    }

    @Test
    void tornHeaderOfANewestEmptySegmentIsRewritten() throws IOException {
        buildLog(SMALL, 20);
        Path next = dir.resolve("log").resolve(LogFormat.fileName(21));
        byte[] header = LogFormat.encodeHeader(21).array();
        for (int cut = 0; cut <= LogFormat.HEADER_BYTES; cut++) {
            byte[] content = cut < LogFormat.HEADER_BYTES ? Arrays.copyOf(header, cut) : new byte[LogFormat.HEADER_BYTES + 100];
            Files.write(next, content);
            try (SegmentedFileLog log = open(dir, SMALL)) {
                assertEquals(20, log.lastVersion(), "header cut at " + cut);
                assertArrayEquals(header, Files.readAllBytes(next));
                appendRange(log, 21, 21);
                assertReads(log, 15, 21);
            }
            Files.delete(next); // back to versions 1..20 for the next variant
        }
    }

    /**
     * A new segment's header sector lost at a power cut while later sectors of its records survived: no fsync came
     * after the header was written (it would have made it durable), so none of those records was acknowledged and
     * the segment starts over empty. Non-zero damage to the header with valid records after it is still refused.
     */
    @Test
    void aLostHeaderSectorOfTheNewestSegmentIsRewrittenAndOtherHeaderDamageRefused() throws IOException {
        buildLog(ONE_SEGMENT, 40);
        Path last = segmentFiles(dir).get(0);
        long size = Files.size(last);
        assertTrue(size > 1024, "records past the first sector: " + size);
        flipByte(last, 3);
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(dir, ONE_SEGMENT));
        assertTrue(e.getMessage().contains("valid record follows"), e.getMessage());
        try (var ch = java.nio.channels.FileChannel.open(last, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(512), 0);
        }
        try (SegmentedFileLog log = open(dir, ONE_SEGMENT)) {
            assertEquals(0, log.lastVersion());
            appendRange(log, 1, 3);
            assertReads(log, 1, 3);
        }
    }

    /** Zeros after the last record are preallocated space (what a log with fsync on writes): kept, appended over. */
    @Test
    void zeroFilledTailIsTheEndAndIsKept() throws IOException {
        Path last = buildLog(ONE_SEGMENT, 10);
        long size = Files.size(last);
        Files.write(last, new byte[4096], StandardOpenOption.APPEND);
        try (SegmentedFileLog log = open(dir, ONE_SEGMENT)) {
            assertEquals(10, log.lastVersion());
            assertEquals(size + 4096, Files.size(last));
            appendRange(log, 11, 12);
        }
        assertEquals(size + 4096, Files.size(last), "records 11 and 12 were written over the zeros");
        try (SegmentedFileLog log = open(dir, ONE_SEGMENT)) {
            assertReads(log, 1, 12);
        }
    }

    @Test
    void lastRecordPartlyZeroedInPlaceIsCutOff() throws IOException {
        Path last = buildLog(ONE_SEGMENT, 10);
        List<Long> offsets = recordOffsets(last);
        long start = offsets.get(9);
        long end = offsets.get(10);
        long mid = (start + end) / 2;
        try (var ch = java.nio.channels.FileChannel.open(last, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate((int) (end - mid)), mid);
        }
        try (SegmentedFileLog log = open(dir, ONE_SEGMENT)) {
            assertEquals(9, log.lastVersion());
            assertEquals(start, Files.size(last));
        }
    }

    @Test
    void randomGarbageTailIsCutOff() throws IOException {
        Path last = buildLog(ONE_SEGMENT, 10);
        long size = Files.size(last);
        byte[] garbage = new byte[5000];
        new Random(42).nextBytes(garbage);
        Files.write(last, garbage, StandardOpenOption.APPEND);
        try (SegmentedFileLog log = open(dir, ONE_SEGMENT)) {
            assertEquals(10, log.lastVersion());
            assertEquals(size, Files.size(last));
        }
    }

    @Test
    void crcCorruptionFollowedByValidRecordsRefusesToOpen() throws IOException {
        Path last = buildLog(ONE_SEGMENT, 10);
        long bad = recordOffsets(last).get(3);
        long size = Files.size(last);
        flipByte(last, bad + 40);
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(dir, ONE_SEGMENT));
        assertEquals(last, e.file());
        assertEquals(bad, e.offset());
        assertTrue(e.getMessage().contains(last.toString()) && e.getMessage().contains("offset " + bad)
                && e.getMessage().contains("CRC32C mismatch") && e.getMessage().contains("valid record follows"), e.getMessage());
        assertEquals(size, Files.size(last), "a refused log is left untouched");
    }

    /**
     * A power failure after appends that were not yet synced: each 512-byte sector written since the last fsync
     * either reached the disk or still holds what the fsync left there (the preallocated zeros), in any mix, so a
     * later record can survive where an earlier one did not (the power-loss audit's finding: such a log was
     * refused). Every synced record must be kept, the log must open, and appending must continue.
     */
    @Test
    void writesLostAtAPowerFailureCutTheTailAndKeepEverySyncedRecord() throws IOException {
        Random rnd = new Random(20261127);
        int cut = 0;
        for (int trial = 0; trial < 300; trial++) {
            Path trialDir = dir.resolve("t" + trial);
            try (SegmentedFileLog log = open(trialDir, ONE_SEGMENT)) {
                appendRange(log, 1, 80);
            }
            Path last = segmentFiles(trialDir).get(0);
            List<Long> offsets = recordOffsets(last);
            int synced = rnd.nextInt(80);  // records 1..synced were synced; the rest only written
            long syncedEnd = offsets.get(synced);
            byte[] disk = Arrays.copyOf(Files.readAllBytes(last), (int) Files.size(last) + 8192);  // + preallocated zeros
            int written = (int) Files.size(last);
            boolean keepAll = true;
            for (long sector = syncedEnd / 512 * 512; sector < written; sector += 512) {
                if (rnd.nextInt(3) == 0) {
                    keepAll = false;
                    Arrays.fill(disk, (int) Math.max(sector, syncedEnd), (int) Math.min(sector + 512, written), (byte) 0);
                }
            }
            Files.write(last, disk);
            if (trial % 4 != 0) {  // the mark the persist stage writes after each fsync (absent: a log from before it)
                try (SyncedEnd mark = SyncedEnd.open(last.getParent())) {
                    mark.record(1, syncedEnd);
                }
            }
            long lastVersion;
            try (SegmentedFileLog log = open(trialDir, ONE_SEGMENT)) {
                lastVersion = log.lastVersion();
                assertTrue(lastVersion >= synced, "trial " + trial + ": synced records lost: last version " + lastVersion + " < " + synced);
                if (keepAll) assertEquals(80, lastVersion, "trial " + trial);
                if (lastVersion < 80) cut++;
                appendRange(log, lastVersion + 1, lastVersion + 3);
            }
            try (SegmentedFileLog log = open(trialDir, ONE_SEGMENT)) {
                assertReads(log, 1, lastVersion + 3);
            }
        }
        assertTrue(cut > 100, "most trials lost some unsynced record: " + cut);
    }

    /**
     * Below the synced end the persist stage records after each fsync, zeros are no lost write: every acknowledged
     * commit lies there. A zeroed sector, a zeroed tail and a shortened file are all refused, and nothing is changed.
     */
    @Test
    void damageBelowTheSyncedEndIsRefusedEvenWhenItLooksLikeALostWrite() throws IOException {
        Path last = buildLog(ONE_SEGMENT, 60);
        Path logDir = last.getParent();
        long size = Files.size(last);
        try (SyncedEnd mark = SyncedEnd.open(logDir)) {
            mark.record(1, size);
        }
        byte[] intact = Files.readAllBytes(last);
        long sector = size / 2 / 512 * 512;
        List<byte[]> damaged = List.of(
            zeroed(intact, sector, sector + 512),               // a lost-write look-alike with valid records after it
            zeroed(intact, recordOffsets(last).get(50), size),  // the last ten records zeroed: looks like preallocated space
            Arrays.copyOf(intact, (int) (size - 100)));         // cut short: looks like a torn tail
        for (byte[] content : damaged) {
            Files.write(last, content);
            CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(dir, ONE_SEGMENT));
            assertTrue(e.getMessage().contains("fsynced") && e.getMessage().contains("acknowledged"), e.getMessage());
            assertArrayEquals(content, Files.readAllBytes(last), "a refused log is left untouched");
        }
        Files.write(last, intact);
        try (SegmentedFileLog log = open(dir, ONE_SEGMENT)) {
            assertReads(log, 1, 60);
        }
    }

    /**
     * With fsync on, every group commit records where its fsync ended, and each start records (durably) the end
     * recovery kept, so no older mark outlives it; with fsync off, nothing keeps the mark current: it is dropped.
     */
    @Test
    void eachSyncRecordsItsEndWithFsyncOn() throws IOException {
        SegmentedFileLog.Options durable = ONE_SEGMENT.withFsync(true);
        Path logDir = dir.resolve(SegmentedFileLog.LOG_DIR);
        try (SegmentedFileLog log = open(dir, durable)) {
            assertEquals(LogFormat.HEADER_BYTES, SyncedEnd.read(logDir, 1), "written at the start");
            appendRange(log, 1, 5);
            Path last = segmentFiles(dir).get(0);
            List<Long> offsets = recordOffsets(last);
            assertEquals(offsets.get(offsets.size() - 1), SyncedEnd.read(logDir, 1));
            assertEquals(-1, SyncedEnd.read(logDir, 2), "a mark names its segment");
            appendRange(log, 6, 9);
            assertEquals(recordOffsets(last).get(9), SyncedEnd.read(logDir, 1));
            log.append(LogTestSupport.record(10));
            log.sync();
            assertEquals(recordOffsets(last).get(9), SyncedEnd.read(logDir, 1),
                "not written by the sync: the batch's answers go first");
            log.afterSync();
            assertEquals(recordOffsets(last).get(10), SyncedEnd.read(logDir, 1), "written after them");
        }
        Path last = segmentFiles(dir).get(0);
        long end = recordOffsets(last).get(10);
        try (SyncedEnd stale = SyncedEnd.open(logDir)) {
            stale.record(1, recordOffsets(last).get(2));  // an older mark, e.g. one a power cut kept
        }
        try (SegmentedFileLog log = open(dir, durable)) {
            assertEquals(end, SyncedEnd.read(logDir, 1), "replaced at the start");
        }
        Path markFile = logDir.resolve(SyncedEnd.FILE_NAME);
        byte[] whole = Files.readAllBytes(markFile);
        Files.write(markFile, Arrays.copyOf(whole, 10));
        assertEquals(-1, SyncedEnd.read(logDir, 1), "a torn mark says nothing");
        Files.write(markFile, whole);
        try (SegmentedFileLog log = open(dir, ONE_SEGMENT)) {
            assertEquals(-1, SyncedEnd.read(logDir, 1));
            assertTrue(!Files.exists(logDir.resolve(SyncedEnd.FILE_NAME)), "dropped with fsync off");
        }
    }

    /**
     * The lost-write rule with records larger than a sector (200-1,500 bytes, payloads like the log's JSON) and,
     * as a control, single flipped bytes: damage that shows no lost sector is still refused, so the rule is not
     * "always cut".
     */
    @Test
    void lostSectorsInLargeRecordsAreCutAndFlippedBytesRefused() throws IOException {
        Random rnd = new Random(1127);
        for (int trial = 0; trial < 120; trial++) {
            Path trialDir = dir.resolve("big" + trial);
            try (SegmentedFileLog log = open(trialDir, ONE_SEGMENT)) {
                for (long v = 1; v <= 30; v++) log.append(bigRecord(v));
                log.sync();
            }
            Path last = segmentFiles(trialDir).get(0);
            List<Long> offsets = recordOffsets(last);
            byte[] written = Files.readAllBytes(last);
            int synced = rnd.nextInt(29);
            long syncedEnd = offsets.get(synced);
            byte[] disk = written.clone();
            if (trial % 2 == 0) {
                for (long sector = syncedEnd / 512 * 512; sector < written.length; sector += 512) {
                    if (rnd.nextInt(3) == 0) {
                        Arrays.fill(disk, (int) Math.max(sector, syncedEnd), (int) Math.min(sector + 512, written.length), (byte) 0);
                    }
                }
                Files.write(last, disk);
                try (SegmentedFileLog log = open(trialDir, ONE_SEGMENT)) {
                    assertTrue(log.lastVersion() >= synced, "trial " + trial + ": " + log.lastVersion() + " < " + synced);
                }
            } else {
                int at = (int) (syncedEnd + rnd.nextInt((int) (offsets.get(29) - syncedEnd)));  // before the last record
                disk[at] ^= (byte) (1 + rnd.nextInt(255));
                Files.write(last, disk);
                CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(trialDir, ONE_SEGMENT), "trial " + trial);
                assertTrue(e.getMessage().contains("valid record follows"), e.getMessage());
            }
        }
    }

    /**
     * The smallest lost write: the sector lost held only the first 3 bytes of a record's length field (the record
     * starts 3 bytes before a sector's end), and they were not zeros (a body of 256 bytes or more). Three zeros
     * alone prove nothing, so the record's surviving bytes must: with the length it needs to end where the next
     * valid record starts, its CRC matches. (The storage review's F2: refused before.)
     */
    @Test
    void aLostSectorHoldingOnlyTheStartOfALengthFieldIsALostWrite() throws IOException {
        int firstBody = 509 - LogFormat.HEADER_BYTES - LogFormat.RECORD_PREFIX_BYTES;  // record 2 starts at 509
        try (SegmentedFileLog log = open(dir, ONE_SEGMENT)) {
            log.append(new LogRecord(1, "r-1", 1L, ascii(firstBody - LogFormat.MIN_BODY_BYTES - 3)));
            log.append(new LogRecord(2, "r-2", 2L, ascii(400)));
            for (long v = 3; v <= 6; v++) log.append(bigRecord(v));
            log.sync();
        }
        Path last = segmentFiles(dir).get(0);
        assertEquals(509L, recordOffsets(last).get(1));
        byte[] synced = Files.readAllBytes(last);
        byte[] lost = zeroed(synced, 509, 512);  // record 1 was synced; the sector's later bytes never reached the disk
        Files.write(last, lost);
        try (SegmentedFileLog log = open(dir, ONE_SEGMENT)) {
            assertEquals(1, log.lastVersion());
        }
        byte[] corrupt = zeroed(synced, 509, 512);
        corrupt[600] ^= 0x20;  // the same zeros, but the record is also damaged elsewhere: not only its length was lost
        Files.write(last, corrupt);
        assertThrows(CorruptLogException.class, () -> open(dir, ONE_SEGMENT));
    }

    private static byte[] ascii(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) 'x');
        return b;
    }

    private static LogRecord bigRecord(long v) {
        int n = 200 + (int) (v * 7919 % 1300);
        StringBuilder json = new StringBuilder("[{\"op\":\"write\",\"value\":\"");
        while (json.length() < n - 3) json.append((char) ('A' + (v + json.length()) % 26));
        byte[] payload = json.append("\"}]").toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        return new LogRecord(v, "request-id-big-" + v, 1_700_000_000_000L + v, payload);
    }

    private static byte[] zeroed(byte[] b, long from, long to) {
        byte[] c = b.clone();
        Arrays.fill(c, (int) from, (int) to, (byte) 0);
        return c;
    }

    /** Zeros that no lost write explains (a stretch inside one sector, between valid records) are corruption. */
    @Test
    void zerosInsideASectorBetweenValidRecordsRefuseToOpen() throws IOException {
        Path last = buildLog(ONE_SEGMENT, 40);
        List<Long> offsets = recordOffsets(last);
        int i = 1;
        while (offsets.get(i + 1) / 512 != offsets.get(i) / 512 || offsets.get(i) % 512 == 0) i++;  // a record inside one sector
        long bad = offsets.get(i);
        try (var ch = java.nio.channels.FileChannel.open(last, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate((int) (offsets.get(i + 1) - bad)), bad);
        }
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(dir, ONE_SEGMENT));
        assertEquals(bad, e.offset());
    }

    @Test
    void corruptLengthFieldInTheMiddleRefusesToOpen() throws IOException {
        Path last = buildLog(ONE_SEGMENT, 10);
        long bad = recordOffsets(last).get(4);
        try (var ch = java.nio.channels.FileChannel.open(last, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).putInt(0, 0x7FFF_FFF0), bad);
        }
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(dir, ONE_SEGMENT));
        assertEquals(bad, e.offset());
        assertTrue(e.getMessage().contains("record length"), e.getMessage());
    }

    @Test
    void corruptionInAnEarlierSegmentRefusesToOpenEvenAtItsTail() throws IOException {
        buildLog(SMALL, 40);
        Path first = segmentFiles(dir).get(0);
        List<Long> offsets = recordOffsets(first);
        long lastRecord = offsets.get(offsets.size() - 2);
        flipByte(first, offsets.get(offsets.size() - 1) - 1);
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(dir, SMALL));
        assertEquals(first, e.file());
        assertEquals(lastRecord, e.offset());
        assertTrue(e.getMessage().contains("not the last segment"), e.getMessage());
    }

    @Test
    void tornEarlierSegmentRefusesToOpen() throws IOException {
        buildLog(SMALL, 40);
        Path second = segmentFiles(dir).get(1);
        long size = Files.size(second);
        try (var ch = java.nio.channels.FileChannel.open(second, StandardOpenOption.WRITE)) {
            ch.truncate(size - 3);
        }
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(dir, SMALL));
        assertEquals(second, e.file());
        assertTrue(e.getMessage().contains("incomplete record"), e.getMessage());
    }

    @Test
    void badHeaderOfAnEarlierSegmentRefusesToOpen() throws IOException {
        buildLog(SMALL, 40);
        Path second = segmentFiles(dir).get(1);
        flipByte(second, 0);
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(dir, SMALL));
        assertEquals(second, e.file());
        assertEquals(0, e.offset());
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
    }

    @Test
    void versionGapBetweenSegmentsRefusesToOpen() throws IOException {
        buildLog(SMALL, 40);
        List<Path> files = segmentFiles(dir);
        Files.delete(files.get(2));
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(dir, SMALL));
        assertEquals(files.get(3), e.file());
        assertTrue(e.getMessage().contains("version gap"), e.getMessage());
    }

    @Test
    void aValidRecordWithTheWrongVersionRefusesToOpen() throws IOException {
        Path last = buildLog(ONE_SEGMENT, 10);
        List<Long> offsets = recordOffsets(last);
        byte[] all = Files.readAllBytes(last);
        byte[] third = Arrays.copyOfRange(all, (int) (long) offsets.get(2), (int) (long) offsets.get(3));
        Files.write(last, third, StandardOpenOption.APPEND); // version 3 again where 11 belongs
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(dir, ONE_SEGMENT));
        assertEquals(all.length, e.offset());
        assertTrue(e.getMessage().contains("expected version 11"), e.getMessage());
    }

    @Test
    void unrelatedFilesInTheLogDirectoryAreIgnored() throws IOException {
        buildLog(SMALL, 10);
        Files.writeString(dir.resolve("log").resolve("notes.txt"), "hello");
        try (SegmentedFileLog log = open(dir, SMALL)) {
            assertReads(log, 1, 10);
        }
    }

    private static void flipByte(Path file, long offset) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ 0x5A));
            ch.write(b.rewind(), offset);
        }
    }
}
