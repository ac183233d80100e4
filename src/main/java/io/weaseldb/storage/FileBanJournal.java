package io.weaseldb.storage;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
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
 *
 * <p>Generations are numbered one after another, the newest always stays, and {@code bans/oldest-version} (a
 * {@link VersionMark}: a generation number here) is raised durably before the oldest go. So recovery also refuses
 * generations deleted by anything else: one missing in the middle, the oldest ones above the mark, or every one of
 * them while the log has commits (a banned id could otherwise commit after the restart). Each refusal names the
 * way to start anyway.
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

    /**
     * Opens (recovering) or creates the journal under {@code dataDir/bans}; {@code logHasCommits}: the commit log,
     * opened first, holds or held commits (then the journal must exist already: it was opened before any commit).
     */
    public static FileBanJournal open(Path dataDir, boolean fsync, long retentionMillis, long retentionVersions, long maxBans,
                                      LongSupplier clockMillis, boolean logHasCommits) throws IOException {
        return open(dataDir, fsync, retentionMillis, retentionVersions, maxBans, clockMillis, GENERATION_BYTES, logHasCommits);
    }

    static FileBanJournal open(Path dataDir, boolean fsync, long retentionMillis, long retentionVersions, long maxBans,
                               LongSupplier clockMillis, long generationBytes, boolean logHasCommits) throws IOException {
        FileBanJournal j = new FileBanJournal(IdRecords.directory(dataDir, DIR, fsync), fsync,
            new IdRecords.Retention(retentionMillis, retentionVersions, maxBans, clockMillis), generationBytes);
        j.recover(logHasCommits);
        return j;
    }

    private void recover(boolean logHasCommits) throws IOException {
        List<Path> files = IdRecords.files(dir, SUFFIX, WHAT);
        OptionalLong floor = VersionMark.OLDEST.read(dir);
        checkNoneMissing(files, floor, logHasCommits);
        for (int i = 0; i < files.size(); i++) {
            IdRecords.Generation g = new IdRecords.Generation(IdRecords.number(files.get(i), SUFFIX), files.get(i));
            long end = scan(g, null, i == files.size() - 1);
            generations.add(g);
            if (i == files.size() - 1) activeSize = end;
        }
        if (generations.isEmpty()) {
            startGeneration(1);
            raiseFloor(1);
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
            if (floor.isEmpty()) raiseFloor(generations.get(0).number);  // a journal from before the mark
        }
    }

    /** Refuses generations deleted by anything but the journal itself (see the class comment). */
    private void checkNoneMissing(List<Path> files, OptionalLong floor, boolean logHasCommits) throws CorruptLogException {
        Path mark = dir.resolve(VersionMark.OLDEST.fileName());
        String lost = " lost some other way: the ids banned in them (status queries answered not_committed) could"
            + " commit after this restart. Restore them; to start without them anyway, ";
        if (files.isEmpty()) {
            if (floor.isPresent() || logHasCommits) {
                long first = floor.orElse(1);
                throw new CorruptLogException(WHAT, dir, 0, "every generation is gone, deleted or" + lost + "create the empty file "
                    + dir.resolve(IdRecords.name(first, SUFFIX)));
            }
            return;
        }
        long oldest = IdRecords.number(files.get(0), SUFFIX);
        if (floor.isPresent() && oldest > floor.getAsLong()) {
            throw new CorruptLogException(WHAT, files.get(0), 0, "generations " + floor.getAsLong() + ".." + (oldest - 1)
                + " are missing: the journal only ever deleted generations below " + floor.getAsLong() + " (" + mark
                + "), so they were" + lost + "write " + oldest + " into " + mark);
        }
        for (int i = 1; i < files.size(); i++) {
            long expected = IdRecords.number(files.get(i - 1), SUFFIX) + 1;
            long found = IdRecords.number(files.get(i), SUFFIX);
            if (found != expected) {
                throw new CorruptLogException(WHAT, files.get(i), 0, "generations " + expected + ".." + (found - 1)
                    + " are missing from the middle of the journal: they were" + lost + "create them as empty files ("
                    + dir.resolve(IdRecords.name(expected, SUFFIX)) + " …)");
            }
        }
    }

    private void raiseFloor(long generation) throws IOException {
        VersionMark.OLDEST.write(dir, generation, fsync);
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
        retention.prune(generations, 1, lastVersion, fsync, dir, this::raiseFloor);
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
