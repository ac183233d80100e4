package io.weaseldb.storage;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.zip.CRC32C;

/**
 * Bans in append-only files {@code bans/<20-digit generation>.ban} of the data directory, in {@link IdRecords}'
 * record format.
 *
 * <p>A generation is closed once it passes {@link #GENERATION_BYTES}, and deleted once its newest ban has expired
 * by both retention rules (as bans in memory are), or once the bans after it alone exceed the in-memory bound
 * (a restart would forget them at once). Recovery treats a damaged tail of the newest generation as a torn write
 * (cut, with a warning) and refuses damage anywhere else, naming the file and offset, as the commit log does.
 */
public final class FileBanJournal implements BanJournal {
    private static final System.Logger LOG = System.getLogger(FileBanJournal.class.getName());
    public static final String DIR = "bans";
    private static final String WHAT = "ban journal";
    private static final String SUFFIX = ".ban";
    static final long GENERATION_BYTES = 16L << 20;

    private final Path dir;
    private final boolean fsync;
    private final IdRecords.Retention retention;
    private final long generationBytes;
    private final List<IdRecords.Generation> generations = new ArrayList<>();
    private FileChannel active;
    private long activeSize;
    private ByteBuffer pending = ByteBuffer.allocate(4096);
    private final CRC32C crc = new CRC32C();

    private FileBanJournal(Path dir, boolean fsync, IdRecords.Retention retention, long generationBytes) {
        this.dir = dir;
        this.fsync = fsync;
        this.retention = retention;
        this.generationBytes = generationBytes;
    }

    /** Opens (recovering) or creates the journal under {@code dataDir/bans}. */
    public static FileBanJournal open(Path dataDir, boolean fsync, long retentionMillis, long retentionVersions, long maxBans,
                                      LongSupplier clockMillis) throws IOException {
        return open(dataDir, fsync, retentionMillis, retentionVersions, maxBans, clockMillis, GENERATION_BYTES);
    }

    static FileBanJournal open(Path dataDir, boolean fsync, long retentionMillis, long retentionVersions, long maxBans,
                               LongSupplier clockMillis, long generationBytes) throws IOException {
        FileBanJournal j = new FileBanJournal(IdRecords.directory(dataDir, DIR, fsync), fsync,
            new IdRecords.Retention(retentionMillis, retentionVersions, maxBans, clockMillis), generationBytes);
        j.recover();
        return j;
    }

    private void recover() throws IOException {
        List<Path> files = IdRecords.files(dir, SUFFIX, WHAT);
        for (int i = 0; i < files.size(); i++) {
            IdRecords.Generation g = new IdRecords.Generation(IdRecords.number(files.get(i), SUFFIX), files.get(i));
            long end = scan(g, null, i == files.size() - 1);
            generations.add(g);
            if (i == files.size() - 1) activeSize = end;
        }
        if (generations.isEmpty()) {
            startGeneration(1);
        } else {
            IdRecords.Generation last = generations.get(generations.size() - 1);
            active = FileChannel.open(last.path, StandardOpenOption.WRITE);
            if (active.size() > activeSize) {
                LOG.log(Level.WARNING, "ban journal recovery: cutting a torn write at the end of " + last.path + " at offset "
                    + activeSize + " (" + (active.size() - activeSize) + " bytes discarded)");
                active.truncate(activeSize);
                if (fsync) active.force(true);
            }
            active.position(activeSize);
        }
    }

    /** {@link IdRecords#scan}: a bad record in the newest generation with nothing valid after it is a torn write. */
    private long scan(IdRecords.Generation g, IdRecords.Visitor visitor, boolean newest) throws IOException {
        return IdRecords.scan(WHAT, g, crc, newest, " (damage before the newest generation's end is not a torn write)", visitor);
    }

    @Override
    public void replay(Visitor visitor) throws IOException {
        for (IdRecords.Generation g : generations) {
            scan(new IdRecords.Generation(g.number, g.path), (id, version, millis) -> visitor.visit(new Ban(id, version, millis)),
                g == generations.get(generations.size() - 1));
        }
    }

    @Override
    public void append(String requestId, long version, long timestampMillis) {
        pending = IdRecords.append(pending, crc, requestId, version, timestampMillis);
        generations.get(generations.size() - 1).counted(version, timestampMillis);
    }

    @Override
    public void sync(long lastVersion) throws IOException {
        if (pending.position() > 0) {
            pending.flip();
            while (pending.hasRemaining()) activeSize += active.write(pending);
            pending.clear();
            if (fsync) active.force(false);
        }
        if (activeSize >= generationBytes) {
            active.close();
            startGeneration(generations.get(generations.size() - 1).number + 1);
        }
        retention.prune(generations, 1, lastVersion, fsync, dir, IdRecords.FloorRaise.NONE);
    }

    private void startGeneration(long number) throws IOException {
        Path p = dir.resolve(IdRecords.name(number, SUFFIX));
        active = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        if (fsync) SegmentedFileLog.forceDirectory(dir);
        activeSize = 0;
        generations.add(new IdRecords.Generation(number, p));
    }

    /** Generation files retained (for tests). */
    int generations() {
        return generations.size();
    }

    @Override
    public void close() throws IOException {
        active.close();
    }
}
