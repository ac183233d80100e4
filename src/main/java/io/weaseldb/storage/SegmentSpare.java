package io.weaseldb.storage;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Segment files written full of zeros before any record goes in. An fdatasync of a file whose size and blocks
 * do not change flushes only the data; one that grows the file must also commit its new size and blocks
 * through the filesystem's journal. Measured here (ext4, 9.6 KB appends): 135 µs per fdatasync into a
 * pre-zeroed file against 257 µs into a growing one, and every durable commit waits for one.
 *
 * <p>{@link #preallocateActive} zero-fills the active segment in place (at open, before anything is appended). For the
 * segments after it, one spare file ({@value #NAME} in the log directory) is prepared on a background thread
 * (64 MiB of zeros and a force take ≈ 60 ms here: too long to stall the persist stage at every roll) and
 * {@link #take}n at the next roll: its header is written and it is renamed to the new segment's name. When no
 * spare is ready the log creates a plain file, as without this class. A leftover spare is deleted at open.
 *
 * <p>Recovery treats an all-zero tail as the end of a segment ({@link LogRecovery}), and a roll truncates the
 * finished segment to its records before the next segment exists, so earlier segments stay exact.
 */
final class SegmentSpare implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SegmentSpare.class.getName());
    static final String NAME = "next-segment.spare";
    private static final int CHUNK = 1 << 20;
    /** Larger segments are not preallocated: zero-filling one would take the disk for seconds to minutes. */
    static final long MAX_PREALLOCATED_BYTES = 1L << 30;

    /** Whether segments of this size are preallocated when fsync is on. */
    static boolean applies(boolean fsync, long segmentBytes) {
        return fsync && segmentBytes <= MAX_PREALLOCATED_BYTES;
    }

    private final Path path;
    private final long bytes;
    /** The prepared spare, open; null while none is ready. Written by the preparer, taken by the log's writer. */
    private volatile FileChannel ready;
    private Thread preparer;  // writer thread only
    private volatile boolean closed;
    private volatile boolean warnedFull;

    SegmentSpare(Path logDir, long bytes) {
        this.path = logDir.resolve(NAME);
        this.bytes = bytes;
    }

    /** True when a spare is prepared and the next roll will take it (for tests). */
    boolean isReady() {
        return ready != null;
    }

    /** Deletes a spare a previous process left behind (it never held records). */
    static void deleteLeftover(Path logDir) throws IOException {
        Files.deleteIfExists(logDir.resolve(NAME));
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
        if (closed || ready != null || (preparer != null && preparer.isAlive())) return;
        preparer = Thread.ofPlatform().name("weaseldb-segment-spare").daemon(true).start(this::prepare);
    }

    private void prepare() {
        FileChannel ch = null;
        try {
            Files.deleteIfExists(path);
            // Never let the spare take the room the active segment's records need: on a nearly full disk that
            // would turn a spare we could do without into a failed append, which stops all commits.
            if (!roomFor(path.getParent(), 2 * bytes)) {
                if (!warnedFull) {
                    warnedFull = true;
                    LOG.log(Level.WARNING, "less than two segments (" + 2 * bytes + " bytes) free for the commit log in "
                            + path.getParent() + ": new segments are not preallocated (slower fsyncs) until there is");
                }
                return;
            }
            ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
            fill(ch, bytes, true);
            if (!closed) {
                ready = ch;
                return;
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "could not prepare a spare commit log segment (" + path + "); the next segment"
                    + " will grow as it is written, with slower fsyncs: " + e);
        }
        closeQuietly(ch);
        try {
            Files.deleteIfExists(path);  // a partial spare must not keep the room it took
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not delete the partial spare commit log segment " + path + ": " + e);
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
        FileChannel ch = ready;
        ready = null;
        try {
            if (ch == null) return null;
            ByteBuffer header = LogFormat.encodeHeader(segment.firstVersion);
            while (header.hasRemaining()) ch.write(header, header.position());
            ch.position(LogFormat.HEADER_BYTES);
            Files.move(path, segment.path, StandardCopyOption.ATOMIC_MOVE);
            return ch;
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "could not use the spare commit log segment " + path + ": " + e);
            closeQuietly(ch);
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
        FileChannel ch = ready;
        ready = null;
        closeQuietly(ch);
        Files.deleteIfExists(path);
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
