package io.weaseldb.storage;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.zip.CRC32C;

/**
 * The commit log on local disk: {@code dataDir/log/<20-digit first version>.seg} files, each a header followed
 * by checksummed records (layout in {@link LogFormat}).
 *
 * <p>Writing: one thread appends a batch into a reusable direct buffer, then {@link #sync()} writes it with
 * one {@link FileChannel#write} call per buffer-full and forces the file once (group commit). Only after the
 * force is {@code durableVersion} advanced, and readers never go past it, so nobody can observe a record a
 * crash could still take back. An I/O error while writing or forcing poisons the log: after a failed fsync
 * the page cache state is unknown, so retrying could acknowledge lost data.
 *
 * <p>Segments roll when the active one has grown past {@code segmentBytes}. The old segment is forced (and cut
 * to its records) before the new file is created, so every segment but the last is always complete on disk;
 * recovery relies on this. With fsync on, segments are written full of zeros before records go in, so that a
 * group commit's fdatasync does not also commit a file size change ({@link SegmentSpare}).
 *
 * <p>Reading: each {@link #read} opens its own channel (at most {@link #MAX_OPEN_READERS} at once; the rest wait)
 * and works from an immutable snapshot of the segment list (copy-on-write, swapped by CAS), so it needs no lock
 * against appends or truncation. Truncation deletes
 * files oldest first, so a crash mid-way leaves a contiguous suffix.
 */
public final class SegmentedFileLog implements CommitLog {
    private static final System.Logger LOG = System.getLogger(SegmentedFileLog.class.getName());
    static final String LOG_DIR = "log";

    /**
     * @param fsync           force the segment file at every {@link #sync()} (and the directory when files come and go);
     *                        without it an OS crash can lose acknowledged commits
     * @param segmentBytes    roll to a new segment once the active one is at least this large
     * @param maxRecordBytes  largest encoded record body accepted (also bounds what recovery believes a length field)
     * @param indexInterval   keep the offset of every n-th record in memory for reads from the middle of a segment
     * @param writeBufferBytes size of the reusable write buffer; a batch is written in chunks of at most this
     */
    public record Options(boolean fsync, long segmentBytes, int maxRecordBytes, int indexInterval, int writeBufferBytes) {
        public static final long DEFAULT_SEGMENT_BYTES = 64L << 20;
        public static final int DEFAULT_MAX_RECORD_BYTES = 64 << 20;
        public static final int DEFAULT_INDEX_INTERVAL = 256;
        public static final int DEFAULT_WRITE_BUFFER_BYTES = 1 << 20;

        public Options {
            if (segmentBytes < LogFormat.HEADER_BYTES + LogFormat.MIN_RECORD_BYTES) {
                throw new IllegalArgumentException("segmentBytes must be at least " + (LogFormat.HEADER_BYTES + LogFormat.MIN_RECORD_BYTES) + ": " + segmentBytes);
            }
            if (maxRecordBytes < LogFormat.MIN_BODY_BYTES || maxRecordBytes > Integer.MAX_VALUE - 64) {
                throw new IllegalArgumentException("maxRecordBytes out of range: " + maxRecordBytes);
            }
            if (indexInterval < 1) throw new IllegalArgumentException("indexInterval must be ≥ 1: " + indexInterval);
            if (writeBufferBytes < 4096) throw new IllegalArgumentException("writeBufferBytes must be ≥ 4096: " + writeBufferBytes);
        }

        public static Options defaults() {
            return new Options(true, DEFAULT_SEGMENT_BYTES, DEFAULT_MAX_RECORD_BYTES, DEFAULT_INDEX_INTERVAL, DEFAULT_WRITE_BUFFER_BYTES);
        }

        public Options withFsync(boolean value) {
            return new Options(value, segmentBytes, maxRecordBytes, indexInterval, writeBufferBytes);
        }

        public Options withSegmentBytes(long value) {
            return new Options(fsync, value, maxRecordBytes, indexInterval, writeBufferBytes);
        }

        public Options withMaxRecordBytes(int value) {
            return new Options(fsync, segmentBytes, value, indexInterval, writeBufferBytes);
        }

        public Options withIndexInterval(int value) {
            return new Options(fsync, segmentBytes, maxRecordBytes, value, writeBufferBytes);
        }
    }

    private final Path logDir;
    private final Options opts;
    private final AtomicReference<Segment[]> segments;

    // Writer-thread state.
    private final CRC32C crc = new CRC32C();
    private final ByteBuffer writeBuffer;
    private FileChannel active;
    private long activeSize;
    private long activeRecords;
    private long pendingRecords;
    private long pendingBytes;
    private IOException failure;
    /** The next segment's preallocated file, with fsync on; null without. */
    private final SegmentSpare spare;
    /** Where the active segment's last fsync ended, with fsync on; null without. */
    private final SyncedEnd syncedEnd;
    /** The synced end {@link #afterSync} is to record (segment's first version, offset); offset -1: none pending. */
    private long markSegment;
    private long markOffset = -1;

    private volatile long lastVersion;
    private volatile long durableVersion;
    private volatile boolean closed;
    /**
     * Readers with a segment open at once. Each subscriber replaying history holds one descriptor while it reads
     * a batch; a thousand at once could take the descriptors the writer needs to roll to its next segment (a
     * writer that cannot roll stops all commits). Waiting readers are virtual threads: waiting is cheap.
     */
    static final int MAX_OPEN_READERS = 64;
    private final Semaphore openReaders = new Semaphore(MAX_OPEN_READERS);

    /** True when the next roll will take a prepared, zero-filled file (for tests). */
    boolean spareReady() {
        return spare != null && spare.isReady();
    }

    /** Readers waiting for a turn to open a segment (for tests). */
    int readersWaiting() {
        return openReaders.getQueueLength();
    }

    private final MeterRegistry registry;
    private final Timer fsyncTimer;
    private final DistributionSummary groupCommitSize;
    private final Counter appendedBytes;
    private final Gauge segmentsGauge;
    private final Gauge oldestGauge;
    private final Gauge usableGauge;
    /** The log directory's file system, for its free space (null if it could not be looked up). */
    private final FileStore store;

    private SegmentedFileLog(Path logDir, Options opts, MeterRegistry registry, Segment[] initial,
                             FileChannel active, long activeSize, long activeRecords, long lastVersion) throws IOException {
        this.logDir = logDir;
        this.opts = opts;
        this.segments = new AtomicReference<>(initial);
        this.active = active;
        this.activeSize = activeSize;
        this.activeRecords = activeRecords;
        this.lastVersion = lastVersion;
        this.durableVersion = lastVersion;
        this.writeBuffer = ByteBuffer.allocateDirect(opts.writeBufferBytes());
        // Before the spare's thread starts: a failure here must leave nothing running.
        this.syncedEnd = syncedEndAtOpen(logDir, opts, initial[initial.length - 1].firstVersion, active, activeSize);
        this.spare = SegmentSpare.applies(opts.fsync(), opts.segmentBytes()) ? new SegmentSpare(logDir, opts.segmentBytes()) : null;
        if (spare != null) spare.prepareAsync();
        this.registry = registry;
        this.fsyncTimer = Timer.builder("weaseldb.storage.fsync")
                .description("Duration of each fsync (force) of a commit log file or directory")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(50_000))
                .maximumExpectedValue(Duration.ofSeconds(1))
                .serviceLevelObjectives(
                        Duration.ofNanos(50_000), Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000),
                        Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
                        Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
                        Duration.ofMillis(500), Duration.ofSeconds(1))
                .register(registry);
        this.groupCommitSize = DistributionSummary.builder("weaseldb.storage.group.commit.size")
                .description("Records made durable by one sync (group commit size)")
                .publishPercentileHistogram()
                .register(registry);
        this.appendedBytes = Counter.builder("weaseldb.storage.appended.bytes")
                .description("Bytes appended to the commit log")
                .baseUnit("bytes")
                .register(registry);
        this.segmentsGauge = Gauge.builder("weaseldb.storage.segments", this, l -> l.segments.get().length)
                .description("Commit log segment files retained")
                .register(registry);
        this.oldestGauge = Gauge.builder("weaseldb.storage.oldest.version", this, SegmentedFileLog::oldestVersion)
                .description("Oldest version retained in the commit log")
                .register(registry);
        this.store = fileStore(logDir);
        // Read at each scrape (one statvfs): alert on it before it reaches 0, as a full disk stops commits.
        this.usableGauge = Gauge.builder("weaseldb.storage.usable", this, SegmentedFileLog::usableBytes)
                .description("Bytes the log directory's file system has left for this process")
                .baseUnit("bytes")
                .register(registry);
    }

    /**
     * Opens (recovering) or creates the log under {@code dataDir/log}. Throws {@link CorruptLogException} when the
     * log is damaged anywhere but a torn tail of its last segment (see {@link LogRecovery}).
     */
    public static SegmentedFileLog open(Path dataDir, Options opts, MeterRegistry registry) throws IOException {
        Path logDir = dataDir.resolve(LOG_DIR);
        Directories.createDurably(logDir, true);
        SegmentSpare.deleteLeftover(logDir);
        LogRecovery.Recovered recovered = LogRecovery.recover(logDir, opts.maxRecordBytes(), opts.indexInterval());
        VersionMarks marks = VersionMarks.check(logDir, recovered);
        Segment[] initial;
        FileChannel channel;
        long size;
        long records;
        long last;
        if (recovered == null) {
            Segment first = new Segment(logDir.resolve(LogFormat.fileName(1)), 1, opts.indexInterval());
            channel = createSegmentFile(first, logDir, true, null);
            initial = new Segment[] { first };
            size = LogFormat.HEADER_BYTES;
            records = 0;
            last = 0;
        } else {
            initial = recovered.segments().toArray(new Segment[0]);
            channel = FileChannel.open(initial[initial.length - 1].path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            if (opts.fsync()) {
                // The last segment's records may have been written and never synced (killed between the write and
                // its fsync): recovery finds them in the page cache and from now on reports them committed, so
                // make them durable before anyone can ask.
                channel.force(true);
                forceDirectory(logDir);
            }
            size = recovered.activeSize();
            channel.position(size);
            records = recovered.activeRecords();
            last = recovered.lastVersion();
        }
        marks.update(initial[0].firstVersion, initial[initial.length - 1].firstVersion, opts.fsync());
        if (SegmentSpare.applies(opts.fsync(), opts.segmentBytes())) SegmentSpare.preallocateActive(channel, opts.segmentBytes(), size, logDir);
        LOG.log(Level.INFO, () -> "commit log " + logDir + ": " + initial.length + " segment(s), oldest version "
                + initial[0].firstVersion + ", last version " + last);
        try {
            return new SegmentedFileLog(logDir, opts, registry, initial, channel, size, records, last);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public long lastVersion() {
        return lastVersion;
    }

    /** The newest version a reader can see: made durable by the last {@link #sync()}. */
    public long durableVersion() {
        return durableVersion;
    }

    @Override
    public long oldestVersion() {
        // The first segment's first version: if it holds no record yet, that is lastVersion + 1.
        return segments.get()[0].firstVersion;
    }

    /** Number of segment files currently retained. */
    public int segmentCount() {
        return segments.get().length;
    }

    @Override
    public void append(LogRecord record) throws IOException {
        checkWritable();
        long version = record.version();
        if (version != lastVersion + 1) {
            throw new IllegalArgumentException("append: record version " + version + " is not lastVersion + 1 = " + (lastVersion + 1));
        }
        String requestId = record.requestId();
        byte[] payload = record.payload();
        int ridBytes = Utf8.encodedLength(requestId);
        long body = (long) LogFormat.MIN_BODY_BYTES + ridBytes + payload.length;
        if (body > opts.maxRecordBytes()) {
            throw new IllegalArgumentException("append: record " + version + " is " + body + " bytes, more than maxRecordBytes " + opts.maxRecordBytes());
        }
        int total = (int) body + LogFormat.RECORD_PREFIX_BYTES;
        try {
            if (activeRecords > 0 && activeSize >= opts.segmentBytes()) roll(version);
            if (writeBuffer.remaining() < total) flushBuffer();
            if (writeBuffer.remaining() >= total) {
                encode(record, ridBytes, (int) body, writeBuffer);
            } else {
                // Larger than the whole write buffer: write it on its own rather than grow the buffer for good.
                ByteBuffer big = ByteBuffer.allocate(total);
                encode(record, ridBytes, (int) body, big);
                big.flip();
                while (big.hasRemaining()) active.write(big);
            }
        } catch (IOException | RuntimeException e) {
            throw fail(e);
        }
        Segment[] current = segments.get();
        current[current.length - 1].index.recordAppended(version, activeSize);
        activeSize += total;
        activeRecords++;
        pendingRecords++;
        pendingBytes += total;
        lastVersion = version;
    }

    /** Writes one record at {@code b}'s position; the CRC is computed in place (position/limit juggling, no slice). */
    private void encode(LogRecord record, int ridBytes, int body, ByteBuffer b) {
        int start = b.position();
        b.putInt(body).putInt(0).putLong(record.version()).putLong(record.timestampMillis()).putInt(ridBytes);
        Utf8.encode(record.requestId(), b);
        b.putInt(record.payload().length).put(record.payload());
        int end = b.position();
        crc.reset();
        b.limit(start + 4).position(start);
        crc.update(b);
        b.limit(end).position(start + LogFormat.RECORD_PREFIX_BYTES);
        crc.update(b);
        b.limit(b.capacity()).position(end);
        b.putInt(start + 4, (int) crc.getValue());
    }

    @Override
    public void sync() throws IOException {
        checkWritable();
        if (pendingRecords == 0) return;
        try {
            flushBuffer();
            if (opts.fsync()) force(active, false);
        } catch (IOException | RuntimeException e) {
            throw fail(e);
        }
        if (syncedEnd != null) {
            Segment[] current = segments.get();
            markSegment = current[current.length - 1].firstVersion;
            markOffset = activeSize;
        }
        groupCommitSize.record(pendingRecords);
        appendedBytes.increment(pendingBytes);
        pendingRecords = 0;
        pendingBytes = 0;
        durableVersion = lastVersion; // publishes: every record ≤ this is written (and forced if fsync)
    }

    /**
     * Writes the synced-end mark of the last sync. After the answers, not in {@link #sync()}: the mark is only a
     * lower bound, so writing it late is safe, and its pwrite (which can wait for a page under writeback where
     * the file system keeps pages stable) stays off the commits' latency.
     */
    @Override
    public void afterSync() {
        if (markOffset < 0) return;
        syncedEnd.record(markSegment, markOffset);
        markOffset = -1;
    }

    private void flushBuffer() throws IOException {
        writeBuffer.flip();
        while (writeBuffer.hasRemaining()) active.write(writeBuffer);
        writeBuffer.clear();
    }

    /** Completes the active segment on disk, then creates and publishes the next one starting at {@code nextVersion}. */
    private void roll(long nextVersion) throws IOException {
        flushBuffer();
        if (opts.fsync()) force(active, false);
        if (active.size() > activeSize) {
            active.truncate(activeSize);  // its unused zeros: a finished segment ends with its last record
            if (opts.fsync()) force(active, true);
        }
        Segment next = new Segment(logDir.resolve(LogFormat.fileName(nextVersion)), nextVersion, opts.indexInterval());
        FileChannel channel = spare == null ? null : spare.take(next);
        if (channel != null) {
            try {
                requireOwnHeader(next);
            } catch (IOException e) {
                channel.close();  // the log fails with this: nothing will be written through it
                throw e;
            }
            forceDirectory(logDir, fsyncTimer);  // the renamed spare's entry (spare != null only with fsync)
        } else {
            channel = createSegmentFile(next, logDir, opts.fsync(), fsyncTimer);
        }
        FileChannel old = active;
        active = channel;
        activeSize = LogFormat.HEADER_BYTES;
        activeRecords = 0;
        Segment[] cur;
        Segment[] grown;
        do {
            cur = segments.get();
            grown = Arrays.copyOf(cur, cur.length + 1);
            grown[cur.length] = next;
        } while (!segments.compareAndSet(cur, grown));
        old.close();
        // Once the segment is durable (a mark ahead of the segments would refuse a log that lost nothing), and once
        // the roll is complete here: a failure to write it fails the sync like any other I/O error.
        VersionMark.NEWEST_SEGMENT.write(logDir, nextVersion, opts.fsync());
    }

    /**
     * With fsync on, forces what recovery kept of the active segment (a previous process killed before its pages
     * reached the disk leaves them only in the page cache) and records that end durably; without, drops the mark.
     */
    private static SyncedEnd syncedEndAtOpen(Path logDir, Options opts, long activeFirstVersion, FileChannel active,
                                             long activeSize) throws IOException {
        if (!opts.fsync()) {
            SyncedEnd.discard(logDir);
            return null;
        }
        active.force(false);
        return SyncedEnd.openAt(logDir, activeFirstVersion, activeSize);
    }

    /**
     * The file that now bears the new segment's name must be the one its channel writes, or the records would go
     * into a file no name leads to and be lost at the next crash. Read through the name, its header must be the
     * one just written through the channel: a single read per roll, and the log fails rather than write blind.
     */
    private static void requireOwnHeader(Segment segment) throws IOException {
        String problem;
        try (FileChannel ch = FileChannel.open(segment.path, StandardOpenOption.READ)) {
            problem = LogRecovery.headerProblem(ch, segment.firstVersion);
        }
        if (problem != null) {
            throw new IOException(segment.path + " is not the spare segment file the roll renamed to it (" + problem
                + "): refusing to append where no file name leads");
        }
    }

    /** Creates the file with its header, durable (file and directory entry) when {@code fsync}; timed when {@code timer} is given. */
    private static FileChannel createSegmentFile(Segment segment, Path logDir, boolean fsync, Timer timer) throws IOException {
        FileChannel ch = FileChannel.open(segment.path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            ByteBuffer header = LogFormat.encodeHeader(segment.firstVersion);
            while (header.hasRemaining()) ch.write(header);
            if (fsync) {
                long t0 = System.nanoTime();
                ch.force(true);
                long t1 = System.nanoTime();
                forceDirectory(logDir);
                if (timer != null) {
                    timer.record(t1 - t0, TimeUnit.NANOSECONDS);
                    timer.record(System.nanoTime() - t1, TimeUnit.NANOSECONDS);
                }
            }
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            // Created by us just now, so nothing in it was ever acknowledged: do not leave an empty segment behind.
            try {
                Files.deleteIfExists(segment.path);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            if (e instanceof IOException io) throw new IOException(segment.path + ": " + io.getMessage(), io);
            throw e;
        }
    }

    @Override
    public void read(long fromVersion, Predicate<LogRecord> visitor) throws IOException {
        scan(fromVersion, scanner -> visitor.test(scanner.decode()));
    }

    /** As the interface's, without decoding payloads (retention archives the ids of whole segments). */
    @Override
    public void readRequestIds(long fromVersion, long toVersion, IdArchive.Visitor visitor) throws IOException {
        scan(fromVersion, scanner -> {
            if (scanner.version() >= toVersion) return false;
            visitor.visit(scanner.requestId(), scanner.version(), scanner.timestampMillis());
            return true;
        });
    }

    /** {@link #read}'s walk over durable records from {@code fromVersion}, each handed over still in its scanner. */
    private void scan(long fromVersion, Predicate<RecordScanner> visitor) throws IOException {
        if (closed) throw new IOException("commit log " + logDir + " is closed");
        long durable = durableVersion; // read before the snapshot: every segment holding ≤ durable is in it
        Segment[] snapshot = segments.get();
        long next = Math.max(fromVersion, 1);
        if (next < snapshot[0].firstVersion) throw new LogTruncatedException(next, snapshot[0].firstVersion);
        if (next > durable) return;
        int i = floorSegment(snapshot, next);
        for (; i < snapshot.length && next <= durable; i++) {
            Segment segment = snapshot[i];
            openReaders.acquireUninterruptibly();
            try {
                FileChannel ch;
                try {
                    ch = FileChannel.open(segment.path, StandardOpenOption.READ);
                } catch (NoSuchFileException e) {
                    throw new LogTruncatedException(next, oldestVersion()); // truncated after we took the snapshot
                }
                try (ch) {
                    long start = LogFormat.HEADER_BYTES;
                    long[] hint = segment.index.floor(next);
                    if (hint != null) start = hint[1];
                    RecordScanner scanner = new RecordScanner(ch, start, ch.size(), opts.maxRecordBytes());
                    long segmentEnd = i + 1 < snapshot.length ? snapshot[i + 1].firstVersion - 1 : Long.MAX_VALUE;
                    long expected = hint != null ? hint[0] : segment.firstVersion;
                    while (expected <= durable && expected <= segmentEnd) {
                        long at = scanner.offset();
                        RecordScanner.Result r = scanner.next();
                        if (r != RecordScanner.Result.RECORD) {
                            throw new CorruptLogException(segment.path, at, "reading version " + expected + ": "
                                    + (r == RecordScanner.Result.END ? "unexpected end of file" : scanner.problem()));
                        }
                        if (scanner.version() != expected) {
                            throw new CorruptLogException(segment.path, at, "expected version " + expected + " but the record has version " + scanner.version());
                        }
                        if (expected >= next) {
                            if (!visitor.test(scanner)) return;
                            next = expected + 1;
                        }
                        expected++;
                    }
                }
            } finally {
                openReaders.release();
            }
        }
    }

    /** Index of the last segment whose first version ≤ {@code version} (there is one: checked by the caller). */
    private static int floorSegment(Segment[] s, long version) {
        int lo = 0;
        int hi = s.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (s[mid].firstVersion <= version) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    @Override
    public long truncationPoint(long version) {
        Segment[] cur = segments.get();
        return cur[segmentsBelow(cur, version)].firstVersion;
    }

    /**
     * How many of {@code cur}'s segments lie wholly below {@code version}, never counting the last (active) one nor
     * records a reader cannot see yet (they might still be in the write buffer's segment).
     */
    private int segmentsBelow(Segment[] cur, long version) {
        long limit = Math.min(version, durableVersion + 1);
        int k = 0;
        // Segment k's last version is cur[k + 1].firstVersion - 1.
        while (k < cur.length - 1 && cur[k + 1].firstVersion <= limit) k++;
        return k;
    }

    @Override
    public void truncateBefore(long version) throws IOException {
        if (closed) throw new IOException("commit log " + logDir + " is closed");
        Segment[] cur = segments.get();
        int k = segmentsBelow(cur, version);
        if (k == 0) return;
        // The floor first (recovery refuses a log whose oldest segment is above it: deleted by something else), and
        // before the segments leave the list: if it cannot be written (a full disk), nothing has changed, and the
        // next pass tries again. (Dropped from the list first, they stayed on disk, unreadable, until a restart.)
        VersionMark.OLDEST.write(logDir, cur[k].firstVersion, opts.fsync());
        // Only this thread removes segments, and the writer only appends: the first k stay the same ones.
        do {
            cur = segments.get();
        } while (!segments.compareAndSet(cur, Arrays.copyOfRange(cur, k, cur.length)));
        // Oldest first, each deletion made durable before the next, so a crash leaves a gap-free suffix.
        for (int j = 0; j < k; j++) {
            Files.deleteIfExists(cur[j].path);
            if (opts.fsync()) forceDirectory(logDir, fsyncTimer);
        }
        int removed = k;
        long oldest = cur[k].firstVersion;
        LOG.log(Level.DEBUG, () -> "commit log: removed " + removed + " segment(s); oldest retained version is now " + oldest);
    }

    @Override
    public void close() throws IOException {
        if (closed) return;
        try {
            if (failure == null && pendingRecords > 0) sync();
            afterSync();  // a pending mark exists only with one (see sync)
        } finally {
            closed = true;
            registry.remove(segmentsGauge);
            registry.remove(oldestGauge);
            registry.remove(usableGauge);
            try {
                if (spare != null) spare.close();
            } finally {
                try {
                    if (syncedEnd != null) syncedEnd.close();
                } finally {
                    active.close();
                }
            }
        }
    }

    private static FileStore fileStore(Path dir) {
        try {
            return Files.getFileStore(dir);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "commit log " + dir + ": cannot look up its file system, so its free space is not"
                + " reported: " + e);
            return null;
        }
    }

    private double usableBytes() {
        try {
            return store == null ? Double.NaN : store.getUsableSpace();
        } catch (IOException e) {
            return Double.NaN;
        }
    }

    private void checkWritable() throws IOException {
        if (closed) throw new IOException("commit log " + logDir + " is closed");
        if (failure != null) throw new IOException("commit log " + logDir + " is unusable after an earlier I/O failure", failure);
    }

    private IOException fail(Exception e) {
        IOException io = e instanceof IOException x ? x : new IOException(e);
        failure = io;
        LOG.log(Level.ERROR, "commit log " + logDir + " failed; refusing further appends", io);
        return io;
    }

    private void force(FileChannel ch, boolean metadata) throws IOException {
        long t0 = System.nanoTime();
        ch.force(metadata);
        fsyncTimer.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
    }

    /** Makes creations, renames and deletions of a directory's entries durable (works on Linux). */
    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private static void forceDirectory(Path dir, Timer timer) throws IOException {
        long t0 = System.nanoTime();
        forceDirectory(dir);
        timer.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
    }
}
