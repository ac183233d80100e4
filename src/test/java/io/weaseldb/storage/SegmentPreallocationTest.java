package io.weaseldb.storage;

import static io.weaseldb.storage.LogTestSupport.appendRange;
import static io.weaseldb.storage.LogTestSupport.assertReads;
import static io.weaseldb.storage.LogTestSupport.open;
import static io.weaseldb.storage.LogTestSupport.recordOffsets;
import static io.weaseldb.storage.LogTestSupport.segmentFiles;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With fsync on, segments are written full of zeros before records go in (see {@link SegmentSpare}). */
class SegmentPreallocationTest {
    private static final long SEGMENT = 4096;
    private static final SegmentedFileLog.Options FSYNC = SegmentedFileLog.Options.defaults().withSegmentBytes(SEGMENT).withIndexInterval(3);

    @TempDir
    Path dir;

    private List<Path> spares() throws IOException {
        try (var files = Files.list(dir.resolve(SegmentedFileLog.LOG_DIR))) {
            return files.filter(SegmentSpare::isSpare).toList();
        }
    }

    private static void awaitSpare(SegmentedFileLog log) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!log.spareReady()) {
            assertTrue(System.nanoTime() < deadline, "no spare segment prepared within 10 s");
            Thread.sleep(1);
        }
    }

    @Test
    void theActiveSegmentIsPreallocatedAndItsZerosAreNotRecordsAfterARestart() throws IOException {
        try (SegmentedFileLog log = open(dir, FSYNC)) {
            appendRange(log, 1, 5);
        }
        Path only = segmentFiles(dir).get(0);
        assertEquals(SEGMENT, Files.size(only));
        assertEquals(List.of(), spares(), "close deletes the spare");
        try (SegmentedFileLog log = open(dir, FSYNC)) {
            assertEquals(5, log.lastVersion());
            assertEquals(SEGMENT, Files.size(only), "the zero tail is kept, not cut");
            appendRange(log, 6, 8);
            assertReads(log, 1, 8);
        }
        try (SegmentedFileLog log = open(dir, FSYNC.withFsync(false))) {
            assertReads(log, 1, 8);  // the same files open without fsync too
        }
    }

    @Test
    void rollsTakeThePreparedSpareAndCutTheFinishedSegmentToItsRecords() throws Exception {
        long v = 0;
        try (SegmentedFileLog log = open(dir, FSYNC)) {
            for (int roll = 0; roll < 3; roll++) {
                awaitSpare(log);
                int segments = log.segmentCount();
                while (log.segmentCount() == segments) {
                    appendRange(log, v + 1, v + 1);
                    v++;
                }
                List<Path> files = segmentFiles(dir);
                Path finished = files.get(files.size() - 2);
                List<Long> offsets = recordOffsets(finished);
                assertEquals(Files.size(finished), offsets.get(offsets.size() - 1), "finished segment ends with its last record");
                assertEquals(SEGMENT, Files.size(files.get(files.size() - 1)), "the new segment is the zero-filled spare");
            }
            assertReads(log, 1, v);
        }
        try (SegmentedFileLog log = open(dir, FSYNC)) {
            assertEquals(v, log.lastVersion());
            assertReads(log, 1, v);
        }
    }

    /**
     * If the file at the spare's name is ever not the file of the spare's channel (here: replaced behind the log's
     * back), the roll must not append to the channel: its records would go into a file no name leads to, lost at the
     * next crash. The log fails instead, and what it acknowledged before is all there after a restart. (This was
     * the only way found for the state a DiskFullIT run left: a segment file whose header named the next segment.)
     */
    @Test
    void aRollWhoseRenamedSpareIsNotItsOwnFileFailsRatherThanWriteBlind() throws Exception {
        long v = 0;
        try (SegmentedFileLog log = open(dir, FSYNC)) {
            awaitSpare(log);
            List<Path> spares = spares();
            assertEquals(1, spares.size(), spares::toString);
            Path spare = spares.get(0);
            Files.delete(spare);  // the prepared channel's file is now unlinked...
            Files.write(spare, new byte[(int) SEGMENT]);  // ...and another file sits at its name
            int segments = log.segmentCount();
            IOException refused = null;
            while (refused == null && log.segmentCount() == segments) {
                try {
                    appendRange(log, v + 1, v + 1);
                    v++;
                } catch (IOException e) {
                    refused = e;
                }
            }
            assertTrue(refused != null && refused.getMessage().contains("is not the spare segment file"),
                "the roll went on with " + log.segmentCount() + " segments: " + refused);
        }
        try (SegmentedFileLog log = open(dir, FSYNC)) {
            assertEquals(v, log.lastVersion());
            assertReads(log, 1, v);
            appendRange(log, v + 1, v + 3);  // and the log goes on from there
            assertReads(log, 1, v + 3);
        }
    }

    @Test
    void sparesLeftBehindAreDeletedAtOpen() throws IOException {
        try (SegmentedFileLog log = open(dir, FSYNC)) {
            appendRange(log, 1, 2);
        }
        Path logDir = dir.resolve(SegmentedFileLog.LOG_DIR);
        Files.write(logDir.resolve("next-segment.spare"), new byte[16]);  // the name before spares had numbers
        Files.write(logDir.resolve("next-segment-7.spare"), new byte[16]);
        try (SegmentedFileLog log = open(dir, FSYNC)) {
            assertTrue(spares().stream().noneMatch(p -> p.getFileName().toString().matches("next-segment(-7)?\\.spare")),
                spares()::toString);
            assertReads(log, 1, 2);
        }
    }

    /** A crash mid-write leaves a partial record followed by zeros: the record is cut, the file zero-filled again. */
    @Test
    void aTornRecordBeforeTheZerosIsCutAndTheSegmentPreallocatedAgain() throws IOException {
        try (SegmentedFileLog log = open(dir, FSYNC)) {
            appendRange(log, 1, 6);
        }
        Path only = segmentFiles(dir).get(0);
        List<Long> offsets = recordOffsets(only);  // the records' offsets, then where they end (the zeros start)
        long sixth = offsets.get(5);
        long end = offsets.get(6);
        try (FileChannel ch = FileChannel.open(only, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate((int) (end - (sixth + end) / 2)), (sixth + end) / 2);  // zero its second half
        }
        // The crash came while record 6 was written after the fsync of 1-5, as the synced end says: with the mark
        // the sync of 6 left, the cut record would be damage below it, refused.
        CorruptLogException refused = assertThrows(CorruptLogException.class, () -> open(dir, FSYNC));
        assertTrue(refused.getMessage().contains("was fsynced"), refused.getMessage());
        try (SyncedEnd mark = SyncedEnd.open(only.getParent())) {
            mark.record(1, sixth);
        }
        try (SegmentedFileLog log = open(dir, FSYNC)) {
            assertEquals(5, log.lastVersion());
            assertEquals(SEGMENT, Files.size(only));
            appendRange(log, 6, 7);
            assertReads(log, 1, 7);
        }
    }

    /** Zeros after an earlier segment's records are accepted only if the next segment starts where they end. */
    @Test
    void zerosEndingAnEarlierSegmentAreCheckedAgainstTheNextSegmentsFirstVersion() throws IOException {
        try (SegmentedFileLog log = open(dir, FSYNC.withFsync(false).withSegmentBytes(600))) {
            appendRange(log, 1, 30);
        }
        List<Path> files = segmentFiles(dir);
        Path second = files.get(1);
        Files.write(second, new byte[1000], StandardOpenOption.APPEND);
        try (SegmentedFileLog log = open(dir, FSYNC.withFsync(false).withSegmentBytes(600))) {
            assertReads(log, 1, 30);
        }
        List<Long> offsets = recordOffsets(second);
        try (FileChannel ch = FileChannel.open(second, StandardOpenOption.WRITE)) {
            long last = offsets.get(offsets.size() - 2);  // its last record becomes zeros: a lost record
            ch.write(ByteBuffer.allocate((int) (Files.size(second) - last)), last);
        }
        CorruptLogException e = assertThrows(CorruptLogException.class, () -> open(dir, FSYNC.withFsync(false).withSegmentBytes(600)));
        assertTrue(e.getMessage().contains("version gap"), e.getMessage());
    }
}
