package io.weaseldb.storage;

import java.io.EOFException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Where the last fsync of the active segment ended: {@code log/synced-end}, rewritten in place after each group
 * commit's fsync, once its answers are out ({@link CommitLog#afterSync}), and never forced itself (one 20-byte
 * write per batch). Whatever of it survives a crash was written
 * after an fsync that covered that much of the segment, so it is a lower bound of what was durable: recovery
 * refuses damage below it as corruption, and only above it may it take zeros for a write lost at a power cut
 * ({@link LogRecovery#lostWrite}). (It may trail the last fsync by the kernel's writeback delay; what lies between
 * is judged as without it.) Without it, zeroing a block in the middle of a log that was synced long ago would look
 * like such a lost write and be cut off.
 *
 * <p>Layout: the segment's first version i64 | the synced end's byte offset in it i64 | CRC32C u32 of the 16
 * bytes before. A file that is missing, torn or names another segment says nothing (offset -1).
 */
final class SyncedEnd implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SyncedEnd.class.getName());
    static final String FILE_NAME = "synced-end";
    private static final int BYTES = 20;

    private final FileChannel channel;
    private final ByteBuffer buf = ByteBuffer.allocate(BYTES);
    private final CRC32C crc = new CRC32C();
    private boolean failed;

    private SyncedEnd(FileChannel channel) {
        this.channel = channel;
    }

    /** True for the mark's file (not a stray worth a warning in the log directory). */
    static boolean isOwnFile(Path p) {
        return p.getFileName().toString().equals(FILE_NAME);
    }

    /** Opens (creating) the mark of {@code logDir} for writing; writer thread only from here on. */
    static SyncedEnd open(Path logDir) throws IOException {
        return new SyncedEnd(FileChannel.open(logDir.resolve(FILE_NAME), StandardOpenOption.CREATE, StandardOpenOption.WRITE));
    }

    /**
     * At startup, with fsync on: the mark for the recovered active segment, which the caller has just forced up to
     * {@code offset}, written and forced, so that no older mark outlives this start (one for a segment an
     * operator deleted would name the segment that takes its first version next). Null, with a warning, if the
     * file cannot be written (a full disk): the log then runs without one, as logs did before it.
     */
    static SyncedEnd openAt(Path logDir, long segmentFirstVersion, long offset) {
        try {
            SyncedEnd mark = open(logDir);
            mark.record(segmentFirstVersion, offset);
            try {
                mark.channel.force(true);
            } catch (IOException e) {
                mark.close();
                throw e;
            }
            if (!mark.failed) return mark;
            mark.close();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not write the commit log's synced end in " + logDir + " (" + e + ")");
        }
        discard(logDir);
        return null;
    }

    /** Deletes the mark (fsync off: nothing keeps it current), best effort. */
    static void discard(Path logDir) {
        try {
            Files.deleteIfExists(logDir.resolve(FILE_NAME));
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not delete " + logDir.resolve(FILE_NAME) + ": " + e);
        }
    }

    /**
     * Records that the segment starting at {@code segmentFirstVersion} is durable up to {@code offset}. Best effort:
     * a failure only leaves recovery less to go on (it then treats the segment as if nothing in it were known
     * synced), so it is reported once and never fails a commit.
     */
    void record(long segmentFirstVersion, long offset) {
        if (failed) return;
        buf.clear();
        buf.putLong(segmentFirstVersion).putLong(offset);
        crc.reset();
        crc.update(buf.array(), 0, 16);
        buf.putInt((int) crc.getValue()).flip();
        try {
            while (buf.hasRemaining()) channel.write(buf, buf.position());
        } catch (IOException e) {
            failed = true;
            LOG.log(Level.WARNING, "could not write the commit log's synced end (" + e + "); recovery after a power"
                + " failure will be less able to tell a lost write from corruption");
        }
    }

    /** The synced end recorded for the segment starting at {@code segmentFirstVersion}, or -1 if none is (or it cannot be read). */
    static long read(Path logDir, long segmentFirstVersion) {
        ByteBuffer b = ByteBuffer.allocate(BYTES);
        try (FileChannel ch = FileChannel.open(logDir.resolve(FILE_NAME), StandardOpenOption.READ)) {
            LogRecovery.readFully(ch, b, 0);
        } catch (NoSuchFileException | EOFException missingOrTorn) {
            return -1;
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not read " + logDir.resolve(FILE_NAME) + " (" + e + "); recovering without it");
            return -1;
        }
        CRC32C c = new CRC32C();
        c.update(b.array(), 0, 16);
        if ((int) c.getValue() != b.getInt(16) || b.getLong(0) != segmentFirstVersion) return -1;
        return b.getLong(8);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
