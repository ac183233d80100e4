package io.weaseldb.storage;

import java.io.EOFException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Opening an existing log: checks every segment and record, cuts a torn tail off the last segment, and refuses
 * anything else that is damaged.
 *
 * <p>Rules: segments are ordered by the first version in their names; each must start exactly where the
 * previous one ended; every record's CRC must match and its version must be the previous + 1. A bad record
 * (or a bad header) in the <em>last</em> segment that no valid record follows anywhere later in that file is a
 * torn tail from a crash mid-write: the file is truncated to the last good record and fsynced. So is a bad record
 * in the last segment with valid records after it when it shows a write lost at a power failure
 * ({@link #lostWrite}): the records after such a hole were never acknowledged. None of this applies below the
 * last segment's recorded fsync end ({@link SyncedEnd}): damage, zeros or an end there are refused. Anything else
 * — other damage with valid data after it, any bad record in an earlier segment, a version gap — throws
 * {@link CorruptLogException}, because dropping it could drop acknowledged commits.
 *
 * <p>A segment may end in zeros: with fsync on, segments are written full of zeros before records go in
 * ({@link SegmentSpare}). Where the rest of a file from a record boundary is all zeros, that is its end (not a
 * torn tail: nothing is cut, so a preallocated last segment stays preallocated). Nothing is lost by accepting
 * that in an earlier segment either: the next segment's first version must still follow its last record.
 */
final class LogRecovery {
    private static final System.Logger LOG = System.getLogger(LogRecovery.class.getName());
    private static final int SEARCH_WINDOW = 1 << 20;

    /** What recovery found: the segments in order (the last is the active one) and where appending continues. */
    record Recovered(List<Segment> segments, long lastVersion, long activeSize, long activeRecords) { }

    private LogRecovery() { }

    /** Returns null when {@code logDir} holds no segments. */
    static Recovered recover(Path logDir, int maxRecordBytes, int indexInterval) throws IOException {
        List<Path> files = listSegments(logDir);
        if (files.isEmpty()) return null;
        List<Segment> segments = new ArrayList<>(files.size());
        long nextVersion = -1;
        long activeSize = 0;
        long activeRecords = 0;
        for (int i = 0; i < files.size(); i++) {
            Path file = files.get(i);
            boolean last = i == files.size() - 1;
            long first = LogFormat.parseFileName(file);
            if (i > 0 && first != nextVersion) {
                throw new CorruptLogException(file, 0, "version gap: segment starts at version " + first
                        + " but the previous segment " + files.get(i - 1).getFileName() + " ends at version " + (nextVersion - 1));
            }
            Segment segment = new Segment(file, first, indexInterval);
            try (FileChannel ch = FileChannel.open(file, last
                    ? new StandardOpenOption[] { StandardOpenOption.READ, StandardOpenOption.WRITE }
                    : new StandardOpenOption[] { StandardOpenOption.READ })) {
                Scan scan = scanSegment(ch, segment, last, maxRecordBytes);
                nextVersion = first + scan.records();
                if (last) {
                    activeSize = scan.end();
                    activeRecords = scan.records();
                }
            }
            segments.add(segment);
        }
        return new Recovered(segments, nextVersion - 1, activeSize, activeRecords);
    }

    /** Segment files sorted by first version; other files in the directory are ignored (with a warning). */
    static List<Path> listSegments(Path logDir) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(logDir)) {
            for (Path p : dir) {
                if (LogFormat.parseFileName(p) > 0) files.add(p);
                else if (!VersionMark.isOwnFile(p) && !SegmentSpare.isSpare(p) && !SyncedEnd.isOwnFile(p)) {
                    LOG.log(Level.WARNING, "ignoring unexpected file in commit log directory: " + p);
                }
            }
        }
        files.sort(Comparator.comparingLong(LogFormat::parseFileName));
        return files;
    }

    /** A scanned segment: its records, and the offset where they end (the file's end, unless it ends in zeros). */
    private record Scan(long records, long end) { }

    /** What is wrong with the segment header {@code ch} starts with, for a segment starting at {@code firstVersion}; null if nothing. */
    static String headerProblem(FileChannel ch, long firstVersion) throws IOException {
        long size = ch.size();
        if (size < LogFormat.HEADER_BYTES) {
            return "incomplete segment header: " + size + " of " + LogFormat.HEADER_BYTES + " bytes";
        }
        ByteBuffer header = ByteBuffer.allocate(LogFormat.HEADER_BYTES);
        readFully(ch, header, 0);
        return LogFormat.checkHeader(header, firstVersion);
    }

    /** Validates one segment, fills its index, truncates a torn tail if {@code last}. */
    private static Scan scanSegment(FileChannel ch, Segment segment, boolean last, int maxRecordBytes) throws IOException {
        Path file = segment.path;
        long size = ch.size();
        // Below it nothing of the last segment may be damaged or missing: see SyncedEnd.
        long synced = last ? SyncedEnd.read(file.getParent(), segment.firstVersion) : -1;
        String headerProblem = headerProblem(ch, segment.firstVersion);
        if (headerProblem != null) {
            if (!last) throw new CorruptLogException(file, 0, headerProblem + " (not the last segment)");
            requireNotBelowSynced(file, 0, synced, headerProblem);
            LostWrite lost = lostWriteBefore(ch, file, 0, 0, segment.firstVersion, maxRecordBytes, headerProblem);
            // Crash while the segment was being created, or its header's write was lost at a power failure (then
            // the records found after it came after the last fsync): nothing in it was ever acknowledged.
            LOG.log(Level.WARNING, "commit log recovery: rewriting torn header of " + file + " at offset 0 ("
                    + size + " bytes discarded" + (lost != null ? ", among them records written after the last fsync, from"
                    + " offset " + lost.later : "") + "): " + headerProblem);
            ch.truncate(0);
            ByteBuffer header = LogFormat.encodeHeader(segment.firstVersion);
            while (header.hasRemaining()) ch.write(header, header.position());
            ch.force(true);
            return new Scan(0, LogFormat.HEADER_BYTES);
        }

        RecordScanner scanner = new RecordScanner(ch, LogFormat.HEADER_BYTES, size, maxRecordBytes);
        long expected = segment.firstVersion;
        long end = size;
        while (true) {
            RecordScanner.Result r = scanner.next();
            if (r == RecordScanner.Result.END) {
                requireNotBelowSynced(file, size, synced, "the segment ends");
                break;
            }
            if (r == RecordScanner.Result.RECORD) {
                if (scanner.version() != expected) {
                    throw new CorruptLogException(file, scanner.recordOffset(),
                            "expected version " + expected + " but the record has version " + scanner.version());
                }
                segment.index.recordAppended(expected, scanner.recordOffset());
                expected++;
                continue;
            }
            long bad = scanner.offset();
            if (zeroFrom(ch, bad, size)) {
                requireNotBelowSynced(file, bad, synced, "the records end (zeros follow)");
                end = bad;  // preallocated space, not a record
                break;
            }
            if (!last) throw new CorruptLogException(file, bad, scanner.problem() + " (not the last segment)");
            requireNotBelowSynced(file, bad, synced, scanner.problem());
            LostWrite lost = lostWriteBefore(ch, file, bad, bad + 1, expected, maxRecordBytes, scanner.problem());
            if (lost != null) {
                LOG.log(Level.WARNING, "commit log recovery: truncating the unsynced tail of " + file + " at offset " + bad
                        + " (" + (size - bad) + " bytes discarded, last good version " + (expected - 1) + "): "
                        + scanner.problem() + ", and its bytes from offset " + lost.zerosFrom + " are zeros, a write that never"
                        + " reached the disk; the records after it (version " + lost.laterVersion + " at offset " + lost.later
                        + " and on) were written after the last fsync, so none of them was acknowledged");
            } else {
                LOG.log(Level.WARNING, "commit log recovery: truncating torn tail of " + file + " at offset " + bad + " ("
                        + (size - bad) + " bytes discarded, last good version " + (expected - 1) + "): " + scanner.problem());
            }
            ch.truncate(bad);
            ch.force(true);
            end = bad;
            break;
        }
        return new Scan(expected - segment.firstVersion, end);
    }

    /**
     * Refuses the last segment when {@code what} happens at {@code offset}, below {@code synced}, the end of a
     * durable fsync recorded by {@link SyncedEnd} (-1: none recorded): everything below it was durable, so damage or
     * an end there is not a crash's work.
     */
    private static void requireNotBelowSynced(Path file, long offset, long synced, String what) throws CorruptLogException {
        if (offset < synced) {
            throw new CorruptLogException(file, offset, what + ", below offset " + synced + " up to which this segment"
                + " was fsynced (" + file.resolveSibling(SyncedEnd.FILE_NAME) + "): acknowledged commits are damaged or missing."
                + " If this log was restored from a copy taken while a server wrote it, delete that file to start with"
                + " what the copy holds");
        }
    }

    /** Valid records after damage, behind a write lost at a power failure: see {@link #lostWriteBefore}. */
    private record LostWrite(long zerosFrom, long later, long laterVersion) { }

    /**
     * Damage at {@code bad} in the last segment ({@code problem}, a bad header or record) where the next record was
     * to have version {@code expected}: null when no valid record follows from {@code searchFrom} (a torn tail), the
     * lost write when the ones that do follow were written after the last fsync ({@link #lostWrite}). Any other
     * damage before a valid record, or a record that goes back in version, is corruption: refused.
     */
    private static LostWrite lostWriteBefore(FileChannel ch, Path file, long bad, long searchFrom, long expected,
            int maxRecordBytes, String problem) throws IOException {
        long size = ch.size();
        long later = findValidRecord(ch, searchFrom, size, expected, maxRecordBytes);
        if (later < 0) return null;
        long zerosFrom = lostWrite(ch, bad, later, maxRecordBytes);
        if (zerosFrom >= 0) {
            long laterVersion = versionAt(ch, later, size, maxRecordBytes);
            if (laterVersion >= expected) return new LostWrite(zerosFrom, later, laterVersion);
        }
        throw new CorruptLogException(file, bad, problem + "; a valid record follows at offset " + later);
    }

    /** The unit a disk writes whole, or not at all, at a power failure. */
    private static final int SECTOR = 512;

    /**
     * Where the damage from {@code bad} (a bad record) to {@code later} (the next valid record) shows a write that
     * never reached the disk, or -1 if it does not. Written after the last fsync, the segment's pages (zeros since
     * preallocation) may reach the disk in any order before a power failure, so a later page can survive where an
     * earlier one did not. A lost sector reads as zeros where records cannot have them: from {@code bad} to the end
     * of its sector (at least a 4-byte length field of 0: no record is that short), or a whole sector from there
     * to {@code later}'s (records never hold 512 zero bytes in a row: a record's length is never 0 and its payload
     * is JSON). Every record at or after such a hole was written after the last fsync, which makes every earlier
     * write durable, so none of them was acknowledged. Any other damage followed by valid records is corruption.
     */
    static long lostWrite(FileChannel ch, long bad, long later, int maxRecordBytes) throws IOException {
        long size = ch.size();
        long sectorEnd = (bad / SECTOR + 1) * SECTOR;
        if (zeroFrom(ch, bad, Math.min(sectorEnd, size))
                && (sectorEnd - bad >= 4 || onlyLengthLost(ch, bad, later, maxRecordBytes))) {
            return bad;
        }
        // Up to the sector holding `later`: a record can start in a lost sector when its bytes there were zeros
        // anyway (the high bytes of its length).
        for (long sector = sectorEnd; sector < later; sector += SECTOR) {
            if (zeroFrom(ch, sector, Math.min(sector + SECTOR, size))) return sector;
        }
        return -1;
    }

    /**
     * A lost sector that held only the first 1-3 bytes of the bad record's length field (too few zeros to tell by
     * themselves): the record is otherwise whole if the length it must have had to end where the next valid record
     * starts agrees with its surviving length bytes and makes its stored CRC match.
     */
    private static boolean onlyLengthLost(FileChannel ch, long bad, long later, int maxRecordBytes) throws IOException {
        long body = later - bad - LogFormat.RECORD_PREFIX_BYTES;
        if (body < LogFormat.MIN_BODY_BYTES || body > maxRecordBytes) return false;
        ByteBuffer record = ByteBuffer.allocate((int) (later - bad));
        readFully(ch, record, bad);
        int lostBytes = (int) (SECTOR - bad % SECTOR);
        ByteBuffer length = ByteBuffer.allocate(4).putInt(0, (int) body);
        for (int i = lostBytes; i < 4; i++) {
            if (record.get(i) != length.get(i)) return false;
        }
        record.putInt(0, (int) body);
        return LogFormat.recordCrc(new CRC32C(), record.array(), 0, (int) body) == record.getInt(4);
    }

    /** The version of the valid record at {@code offset} (found by {@link #findValidRecord}). */
    private static long versionAt(FileChannel ch, long offset, long size, int maxRecordBytes) throws IOException {
        RecordScanner r = new RecordScanner(ch, offset, size, maxRecordBytes);
        if (r.next() != RecordScanner.Result.RECORD) throw new IllegalStateException("no valid record at offset " + offset);
        return r.version();
    }

    /** True if every byte of {@code [from, end)} is zero. */
    static boolean zeroFrom(FileChannel ch, long from, long end) throws IOException {
        ByteBuffer window = ByteBuffer.allocate((int) Math.min(SEARCH_WINDOW, Math.max(0, end - from)));
        for (long p = from; p < end; ) {
            window.clear().limit((int) Math.min(window.capacity(), end - p));
            readFully(ch, window, p);
            window.flip();
            while (window.remaining() >= 8) {
                if (window.getLong() != 0) return false;
            }
            while (window.hasRemaining()) {
                if (window.get() != 0) return false;
            }
            p += window.limit();
        }
        return true;
    }

    /**
     * The offset of the first complete, CRC-valid record starting in {@code [from, end)}, or -1. Any record a
     * crash could have left after {@code expectedVersion} has a version in
     * {@code [1, expectedVersion + (end - from) / 32]}; checking that before the CRC keeps the search linear.
     */
    static long findValidRecord(FileChannel ch, long from, long end, long expectedVersion, int maxRecordBytes) throws IOException {
        long maxVersion = expectedVersion + (end - from) / LogFormat.MIN_RECORD_BYTES;
        ByteBuffer window = ByteBuffer.allocate((int) Math.min(SEARCH_WINDOW, Math.max(0, end - from)));
        long windowStart = from;
        window.limit(0);
        for (long p = from; p + LogFormat.MIN_RECORD_BYTES <= end; p++) {
            if (p + 16 > windowStart + window.limit()) {
                windowStart = p;
                window.clear().limit((int) Math.min(window.capacity(), end - p));
                readFully(ch, window, p);
                window.flip();
            }
            int i = (int) (p - windowStart);
            int length = window.getInt(i);
            if (length < LogFormat.MIN_BODY_BYTES || length > maxRecordBytes || length > end - p - LogFormat.RECORD_PREFIX_BYTES) continue;
            long version = window.getLong(i + 8);
            if (version < 1 || version > maxVersion) continue;
            RecordScanner candidate = new RecordScanner(ch, p, p + LogFormat.RECORD_PREFIX_BYTES + length, maxRecordBytes);
            if (candidate.next() == RecordScanner.Result.RECORD) return p;
        }
        return -1;
    }

    static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
        while (dst.hasRemaining()) {
            int n = ch.read(dst, position);
            if (n < 0) throw new EOFException("unexpected end of file at offset " + position);
            position += n;
        }
    }
}
