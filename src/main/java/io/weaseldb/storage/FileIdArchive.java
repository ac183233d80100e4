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
import java.util.function.LongSupplier;
import java.util.zip.CRC32C;

/**
 * The id archive on local disk: one file {@code ids/<20-digit first version>.ids} per truncation of the log, in
 * {@link IdRecords}' record format, holding the ids of the removed records that had not expired by both retention
 * rules. A file is written whole (temporary file, forced, renamed), so a crash never leaves a torn one: any bad
 * record is damage, and recovery refuses it, naming the file and offset, as it does for the log.
 *
 * <p>A file is deleted once its newest id has expired by both rules, or once the ids after it alone exceed the
 * in-memory bound (a restart would forget them at once; logged as a warning).
 */
public final class FileIdArchive implements IdArchive {
    private static final System.Logger LOG = System.getLogger(FileIdArchive.class.getName());
    public static final String DIR = "ids";
    private static final String WHAT = "request id archive";
    private static final String SUFFIX = ".ids";
    /** Records are written to the file in chunks of about this size: a segment's ids need not fit in memory at once. */
    private static final int CHUNK_BYTES = 1 << 16;
    private static final int CHUNKS_PER_FORCE = 16;

    private final Path dir;
    private final boolean fsync;
    private final IdRecords.Retention retention;
    private final List<IdRecords.Generation> generations = new ArrayList<>();
    private final CRC32C crc = new CRC32C();

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
            IdRecords.scan(WHAT, g, a.crc, false, "", null);
            a.generations.add(g);
        }
        return a;
    }

    @Override
    public void keep(CommitLog log, long fromVersion, long toVersion) throws IOException {
        long lastVersion = log.lastVersion();
        long now = retention.clockMillis().getAsLong();
        String name = IdRecords.name(fromVersion, SUFFIX);
        IdRecords.Generation g = new IdRecords.Generation(fromVersion, dir.resolve(name));
        DurableReplace.write(dir.resolve(name + IdRecords.TEMP_SUFFIX), g.path, fsync, ch -> {
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
        });
        // The same first version again: a crash came between an earlier keep and the log's truncation.
        generations.removeIf(old -> old.number == fromVersion);
        if (g.records > 0) {
            generations.add(g);
        } else {
            Files.delete(g.path);  // every id had expired: nothing to keep
        }
        long early = retention.prune(generations, 0, lastVersion, fsync, dir);
        if (early > 0) {
            LOG.log(Level.WARNING, "request id archive: more than " + retention.maxEntries() + " request ids to keep (the"
                + " in-memory bound): " + early + " ids younger than request_id_retention_hours were let go, and a restart"
                + " forgets them (a retry of one would commit again)");
        }
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
    public long oldestVersion() {
        for (IdRecords.Generation g : generations) {
            if (g.records > 0) return g.number;
        }
        return Long.MAX_VALUE;
    }

    @Override
    public void replay(long beforeVersion, Visitor visitor) throws IOException {
        long[] last = {0};
        for (IdRecords.Generation g : generations) {
            // Files overlap when a crash cut a truncation short and the next one started from a later segment.
            IdRecords.scan(WHAT, new IdRecords.Generation(g.number, g.path), crc, false, "", (id, version, millis) -> {
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
