package io.weaseldb.storage;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Segment files written full of zeros before any record goes in. An fdatasync of a file whose size and blocks
 * do not change flushes only the data; one that grows the file must also commit its new size and blocks
 * through the filesystem's journal. Measured here (ext4, 9.6 KB appends): 135 µs per fdatasync into a
 * pre-zeroed file against 257 µs into a growing one, and every durable commit waits for one.
 *
 * <p>{@link #preallocateActive} zero-fills the active segment in place (at open, before anything is appended). For the
 * segments after it, one spare file ({@code next-segment-N.spare} in the log directory, N counting the spares
 * this process prepared) is prepared on a background thread (64 MiB of zeros and a force take ≈ 60 ms here: too
 * long to stall the persist stage at every roll) and {@link #take}n at the next roll: its header is written and it
 * is renamed to the new segment's name. When no spare is ready the log creates a plain file, as without this
 * class. Leftover spares are deleted at open.
 *
 * <p>Each spare has a name of its own and travels with it ({@link Prepared}), handed over by one atomic swap: the
 * file a roll renames is always the file of the channel it will write, never one that merely sits at a shared
 * name. (With one shared name, a spare created in its place would be renamed into the segment while the records
 * went into the unlinked file behind the taken channel: lost at the next crash. The log also checks each renamed
 * segment's header through its new name before appending.)
 *
 * <p>Recovery treats an all-zero tail as the end of a segment ({@link LogRecovery}), and a roll truncates the
 * finished segment to its records before the next segment exists, so earlier segments stay exact.
 */
final class SegmentSpare implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SegmentSpare.class.getName());
    private static final String PREFIX = "next-segment";
    private static final String SUFFIX = ".spare";
    private static final int CHUNK = 1 << 20;
    /** Larger segments are not preallocated: zero-filling one would take the disk for seconds to minutes. */
    static final long MAX_PREALLOCATED_BYTES = 1L << 30;

    /** Whether segments of this size are preallocated when fsync is on. */
    static boolean applies(boolean fsync, long segmentBytes) {
        return fsync && segmentBytes <= MAX_PREALLOCATED_BYTES;
    }

    /** A prepared spare: its file and the channel open on it, handed over together. */
    private record Prepared(Path file, FileChannel channel) { }

    private final Path logDir;
    private final long bytes;
    /** The prepared spare; null while none is ready. Set by the preparer, taken (swapped out) by the log's writer. */
    private final AtomicReference<Prepared> ready = new AtomicReference<>();
    private Thread preparer;  // writer thread only
    private long prepared;    // writer thread only: spares started, for their names
    private volatile boolean closed;
    private volatile boolean warnedFull;

    SegmentSpare(Path logDir, long bytes) {
        this.logDir = logDir;
        this.bytes = bytes;
    }

    /** True when a spare is prepared and the next roll will take it (for tests). */
    boolean isReady() {
        return ready.get() != null;
    }

    /** True for a spare's file name (this process's or a previous one's). */
    static boolean isSpare(Path file) {
        String n = file.getFileName().toString();
        return n.startsWith(PREFIX) && n.endsWith(SUFFIX);
    }

    /** Deletes the spares a previous process left behind (they never held records). */
    static void deleteLeftover(Path logDir) throws IOException {
        try (var files = Files.newDirectoryStream(logDir, SegmentSpare::isSpare)) {
            for (Path f : files) Files.deleteIfExists(f);
        }
    }

    /**
     * Writes zeros from the end of {@code ch} up to {@code size} and forces them, leaving the position alone.
     * {@code paced}: forces every chunk and pauses between chunks, so that the disk is never handed 64 MiB at
     * once while group commits wait for their own fsyncs behind it.
     */
    private static void fill(FileChannel ch, long size, boolean paced) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocateDirect(CHUNK);
        for (long at = ch.size(); at < size; ) {
            zeros.clear().limit((int) Math.min(CHUNK, size - at));
            at += ch.write(zeros, at);
            if (paced) {
                ch.force(false);
                try {
                    Thread.sleep(PACE_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while preparing a spare segment");
                }
            }
        }
        ch.force(true);
    }

    private static final long PACE_MILLIS = Long.getLong("weaseldb.sparePaceMillis", 2);

    /**
     * Starts preparing the next spare unless one is ready or being prepared; called at open and by every
     * {@link #take} (so a preparation that failed, or found the disk too full, is tried again). Writer thread only.
     */
    void prepareAsync() {
        if (closed || ready.get() != null || (preparer != null && preparer.isAlive())) return;
        Path file = logDir.resolve(PREFIX + "-" + ++prepared + SUFFIX);
        preparer = Thread.ofPlatform().name("weaseldb-segment-spare").daemon(true).start(() -> prepare(file));
    }

    private void prepare(Path file) {
        FileChannel ch = null;
        try {
            // Never let the spare take the room the active segment's records need: on a nearly full disk that
            // would turn a spare we could do without into a failed append, which stops all commits.
            if (!roomFor(logDir, 2 * bytes)) {
                if (!warnedFull) {
                    warnedFull = true;
                    LOG.log(Level.WARNING, "less than two segments (" + 2 * bytes + " bytes) free for the commit log in "
                            + logDir + ": new segments are not preallocated (slower fsyncs) until there is");
                }
                return;
            }
            ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
            fill(ch, bytes, true);
            if (!closed) {
                Prepared displaced = ready.getAndSet(new Prepared(file, ch));
                if (displaced != null) discard(displaced);  // never expected: a spare is prepared only when none is ready
                return;
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "could not prepare a spare commit log segment (" + file + "); the next segment"
                    + " will grow as it is written, with slower fsyncs: " + e);
        }
        discard(new Prepared(file, ch));  // a partial spare must not keep the room it took
    }

    private static void discard(Prepared p) {
        closeQuietly(p.channel());
        try {
            Files.deleteIfExists(p.file());
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not delete the spare commit log segment " + p.file() + ": " + e);
        }
    }

    /** True if the file system holding {@code dir} has at least {@code bytes} usable. */
    private static boolean roomFor(Path dir, long bytes) {
        try {
            return Files.getFileStore(dir).getUsableSpace() >= bytes;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The prepared spare as {@code segment}'s file: header written (made durable by the first fsync of a record
     * appended to it), position after the header, renamed to the segment's name. The caller forces the
     * directory. Null when no spare is ready. Either way the next spare is prepared (again, if this one could
     * not be used or its preparation failed). Writer thread only.
     */
    FileChannel take(Segment segment) {
        Prepared p = ready.getAndSet(null);  // a swap: a spare set at the same moment is either taken or stays ready
        try {
            if (p == null) return null;
            FileChannel ch = p.channel();
            ByteBuffer header = LogFormat.encodeHeader(segment.firstVersion);
            while (header.hasRemaining()) ch.write(header, header.position());
            ch.position(LogFormat.HEADER_BYTES);
            Files.move(p.file(), segment.path, StandardCopyOption.ATOMIC_MOVE);
            return ch;
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "could not use the spare commit log segment " + p.file() + ": " + e);
            discard(p);
            return null;
        } finally {
            prepareAsync();
        }
    }

    /**
     * Zero-fills the active segment up to {@code segmentBytes}, at open. Skipped with less than two segments of
     * room free; a failure (a full disk) only costs the speed-up: the file is cut back to its records
     * ({@code size}) and grows as it is written.
     */
    static void preallocateActive(FileChannel ch, long segmentBytes, long size, Path logDir) throws IOException {
        if (!roomFor(logDir, 2 * segmentBytes)) {
            LOG.log(Level.WARNING, "less than two segments (" + 2 * segmentBytes + " bytes) free in " + logDir
                    + ": the active commit log segment is not preallocated (slower fsyncs)");
            return;
        }
        try {
            fill(ch, segmentBytes, false);  // at open: nothing waits behind it
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not preallocate the commit log segment in " + logDir + " (" + e
                    + "); it grows as it is written, with slower fsyncs");
            ch.truncate(size);
            ch.force(true);
        }
    }

    /** Stops preparing and deletes the spare. */
    @Override
    public void close() throws IOException {
        closed = true;
        Thread t = preparer;
        if (t != null) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Prepared p = ready.getAndSet(null);
        if (p != null) discard(p);
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch == null) return;
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing was written through it that matters
        }
    }
}
