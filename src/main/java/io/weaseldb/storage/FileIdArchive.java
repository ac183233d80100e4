package io.weaseldb.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.LongSupplier;
import java.util.zip.CRC32C;

/**
 * The id archive on local disk: one file {@code ids/<20-digit first version>.ids} per archiving pass (the segments
 * sealed since the last one), holding the ids of their records that had not expired by both retention rules, in
 * {@link IdRecords}' record format after a header that says which versions the file stands for and how many records
 * it has:
 *
 * <pre>
 *   0  u32  magic 0x57444944 ("WDID")    4  u32  format 1
 *   8  i64  first version (= file name)  16 i64  end version (exclusive: the then-active segment's first)
 *  24  i64  record count                 32 u32  CRC32C of bytes 0..31
 * </pre>
 *
 * A file is written whole (temporary file, forced, renamed), so a crash never leaves a torn one: any damage is
 * refused at start, naming the file and offset, as the log's is. The header makes the files a chain: each pass
 * writes one, even with no id to keep, so a file cut at a record boundary (fewer records than its header says), a
 * file deleted from the middle (a gap between one's end and the next one's first version) or the newest deleted (its
 * end below the log's oldest version) is refused too, rather than forgetting ids whose retries would then commit
 * again.
 *
 * <p>The oldest files go once their newest id has expired by both rules, or once the ids after them alone exceed the
 * in-memory bound (a restart would forget them at once; logged as a warning); the newest always stays, as the
 * chain's end. Before deleting, the archive raises {@code ids/oldest-version} (a {@link VersionMark}, written when the
 * first file is) to the first version of the oldest file that stays, so the chain's other end is checked too: oldest
 * files missing above it, or every file gone from a log that was truncated, are refused as well.
 */
public final class FileIdArchive implements IdArchive {
    private static final System.Logger LOG = System.getLogger(FileIdArchive.class.getName());
    public static final String DIR = "ids";
    private static final String WHAT = "request id archive";
    private static final String SUFFIX = ".ids";
    /** Records are written to the file in chunks of about this size: a segment's ids need not fit in memory at once. */
    private static final int CHUNK_BYTES = 1 << 16;
    private static final int CHUNKS_PER_FORCE = 16;
    private static final int MAGIC = 0x57444944;
    private static final int FORMAT = 1;
    static final int HEADER_BYTES = 36;

    private final Path dir;
    private final boolean fsync;
    private final IdRecords.Retention retention;
    /** The files, oldest first; each one's {@code end} is its header's end version. */
    private final List<IdRecords.Generation> generations = new ArrayList<>();
    private final CRC32C crc = new CRC32C();
    private boolean warnedEarly;
    /** The floor mark's version, or -1 while there is none (no file was ever written). */
    private long floor = -1;

    private FileIdArchive(Path dir, boolean fsync, IdRecords.Retention retention) {
        this.dir = dir;
        this.fsync = fsync;
        this.retention = retention;
    }

    /** Opens or creates the archive under {@code dataDir/ids}, checking every file. */
    public static FileIdArchive open(Path dataDir, boolean fsync, long retentionMillis, long retentionVersions, long maxEntries,
                                     LongSupplier clockMillis) throws IOException {
        FileIdArchive a = new FileIdArchive(IdRecords.directory(dataDir, DIR, fsync), fsync,
            new IdRecords.Retention(retentionMillis, retentionVersions, maxEntries, clockMillis));
        // files() deletes a leftover temporary file: a write a crash interrupted, whose records the log still held.
        for (Path p : IdRecords.files(a.dir, SUFFIX, WHAT)) {
            IdRecords.Generation g = new IdRecords.Generation(IdRecords.number(p, SUFFIX), p);
            a.read(g, null);
            long prevEnd = a.archivedTo();
            if (prevEnd > 0 && prevEnd < g.number) {  // each file starts where the one before ended: never a gap
                throw new CorruptLogException(WHAT, p, 0, "the ids of versions " + prevEnd + ".." + (g.number - 1)
                    + " are missing: the archive file that held them is gone (deleted?)");
            }
            a.generations.add(g);
        }
        OptionalLong floor = VersionMark.OLDEST.read(a.dir);
        if (floor.isPresent()) {
            a.floor = floor.getAsLong();
            long oldest = a.generations.isEmpty() ? a.floor : a.generations.get(0).number;  // none: replay() decides
            if (oldest > a.floor) {
                throw new CorruptLogException(WHAT, a.generations.get(0).path, 0, "the ids of versions " + a.floor + ".."
                    + (oldest - 1) + " are missing: the archive only ever deleted files below version " + a.floor + " ("
                    + a.floorPath() + "), so the oldest files were lost some other way, and retries of their ids would"
                    + " commit again. Restore them; to start without them anyway, write " + oldest + " into " + a.floorPath());
            }
        } else if (!a.generations.isEmpty()) {
            a.raiseFloor(a.generations.get(0).number);  // an archive from before the mark, or a crash right after its first file
        }
        return a;
    }

    private Path floorPath() {
        return dir.resolve(VersionMark.OLDEST.fileName());
    }

    private void raiseFloor(long version) throws IOException {
        VersionMark.OLDEST.write(dir, version, fsync);
        floor = version;
    }

    /** Reads and checks one file (its records to {@code visitor} when given), setting {@code g}'s end from its header. */
    private void read(IdRecords.Generation g, IdRecords.Visitor visitor) throws IOException {
        byte[] all = Files.readAllBytes(g.path);
        if (all.length < HEADER_BYTES) {
            throw new CorruptLogException(WHAT, g.path, 0, "incomplete header: " + all.length + " of " + HEADER_BYTES + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(all);
        crc.reset();
        crc.update(all, 0, HEADER_BYTES - 4);
        String problem = b.getInt(0) != MAGIC ? String.format("bad magic 0x%08X", b.getInt(0))
            : b.getInt(HEADER_BYTES - 4) != (int) crc.getValue() ? "header CRC32C mismatch"
            : b.getInt(4) != FORMAT ? "unsupported format " + b.getInt(4)
            : b.getLong(8) != g.number ? "header says first version " + b.getLong(8) + " but the file name " + g.number
            : b.getLong(16) < g.number ? "header says end version " + b.getLong(16) + ", below its first" : null;
        if (problem != null) throw new CorruptLogException(WHAT, g.path, 0, problem);
        g.end = b.getLong(16);
        long records = b.getLong(24);
        long end = IdRecords.scan(WHAT, g, all, HEADER_BYTES, crc, false, "", visitor);
        if (g.records != records) {
            throw new CorruptLogException(WHAT, g.path, end, "holds " + g.records + " records but its header says " + records
                + " (cut short?)");
        }
    }

    @Override
    public void keep(CommitLog log, long fromVersion, long toVersion) throws IOException {
        long lastVersion = log.lastVersion();
        long now = retention.clockMillis().getAsLong();
        String name = IdRecords.name(fromVersion, SUFFIX);
        IdRecords.Generation g = new IdRecords.Generation(fromVersion, dir.resolve(name));
        try {
            write(log, fromVersion, toVersion, lastVersion, now, g);
        } catch (IOException e) {
            // Retention keeps the segments and tries again each second: say what is held up, and where.
            throw new IOException("request id archive: cannot write " + g.path + " (the ids of versions " + fromVersion + ".."
                + (toVersion - 1) + "; the log keeps their segments until it can): " + e, e);
        }
        // The same first version again replaced that file (a caller starting again where an earlier keep did).
        generations.removeIf(old -> old.number == fromVersion);
        g.end = toVersion;
        generations.add(g);  // even with no id to keep: the chain's newest link
        if (floor < 0) raiseFloor(g.number);  // the first file: from now on the archive always has one
        long early = retention.prune(generations, 1, lastVersion, fsync, dir, this::raiseFloor);
        if (early > 0 && !warnedEarly) {
            // Once: at a high commit rate the bound is reached in seconds, and the in-memory index says the same.
            warnedEarly = true;
            LOG.log(Level.WARNING, "request id archive: more than " + retention.maxEntries() + " request ids to keep (the"
                + " in-memory bound): " + early + " ids younger than request_id_retention_hours were let go, and a restart"
                + " forgets those no longer in the log (a retry of one would commit again); said once");
        }
    }

    private void write(CommitLog log, long fromVersion, long toVersion, long lastVersion, long now, IdRecords.Generation g)
            throws IOException {
        DurableReplace.write(dir.resolve(g.path.getFileName() + IdRecords.TEMP_SUFFIX), g.path, fsync, ch -> {
            ch.position(HEADER_BYTES);  // the header, with the count, goes in last
            ByteBuffer[] chunk = {ByteBuffer.allocate(CHUNK_BYTES)};
            int[] chunks = {0};
            try {
                log.readRequestIds(fromVersion, toVersion, (id, version, millis) -> {
                    if (!retention.expired(version, millis, now, lastVersion)) {
                        chunk[0] = IdRecords.append(chunk[0], crc, id, version, millis);
                        g.counted(version, millis);
                        if (chunk[0].position() >= CHUNK_BYTES) {
                            writeOut(ch, chunk[0]);
                            if (fsync && ++chunks[0] % CHUNKS_PER_FORCE == 0) forceOut(ch);
                        }
                    }
                });
                writeOut(ch, chunk[0]);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
            header.putInt(MAGIC).putInt(FORMAT).putLong(fromVersion).putLong(toVersion).putLong(g.records);
            crc.reset();
            crc.update(header.array(), 0, HEADER_BYTES - 4);
            header.putInt((int) crc.getValue()).flip();
            while (header.hasRemaining()) ch.write(header, header.position());
        });
    }

    /**
     * Forces what is written so far: one force of a whole segment's ids (≈ 15 MB at the defaults) held the log's
     * group commits behind it for its ≈ 7 ms; a force per MiB lets them in between.
     */
    private static void forceOut(FileChannel ch) {
        try {
            ch.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeOut(FileChannel ch, ByteBuffer chunk) {
        chunk.flip();
        try {
            while (chunk.hasRemaining()) ch.write(chunk);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        chunk.clear();
    }

    @Override
    public long archivedTo() {
        return generations.isEmpty() ? 0 : generations.get(generations.size() - 1).end;
    }

    @Override
    public long oldestVersion() {
        for (IdRecords.Generation g : generations) {
            if (g.records > 0) return g.number;
        }
        return Long.MAX_VALUE;
    }

    /**
     * {@inheritDoc} Refuses an archive whose newest file ends below {@code beforeVersion} (the log's oldest): the
     * file of the latest truncation is gone; and an archive without files under a truncated log: the log is only
     * truncated once the archive holds the ids, and the archive's newest file always stays, so every file is gone
     * (the whole directory, the floor mark with it). The escape, as the message says: a floor at or above the log's
     * oldest version.
     */
    @Override
    public void replay(long beforeVersion, Visitor visitor) throws IOException {
        if (generations.isEmpty() && beforeVersion > 1 && floor < beforeVersion) {
            throw new CorruptLogException(WHAT, dir, 0, "the ids of versions 1.." + (beforeVersion - 1) + ", truncated"
                + " from the log, are missing: the log is truncated only once their ids are archived, and the archive"
                + " keeps its newest file, so its files are gone (deleted?) and retries of those ids would commit again."
                + " Restore them; to start without them anyway, write " + beforeVersion + " into " + floorPath());
        }
        long end = archivedTo();
        if (!generations.isEmpty() && end < beforeVersion) {
            IdRecords.Generation newest = generations.get(generations.size() - 1);
            throw new CorruptLogException(WHAT, newest.path, 0, "the ids of versions " + end + ".." + (beforeVersion - 1)
                + ", truncated from the log, are missing: the newest archive file is gone (deleted?)");
        }
        long[] last = {0};
        for (IdRecords.Generation g : generations) {
            // Files may overlap (a keep that started below archivedTo()): each version is visited once.
            read(new IdRecords.Generation(g.number, g.path), (id, version, millis) -> {
                if (version > last[0] && version < beforeVersion) {
                    last[0] = version;
                    visitor.visit(id, version, millis);
                }
            });
        }
    }

    /** Archive files retained (for tests). */
    int files() {
        return generations.size();
    }

}
