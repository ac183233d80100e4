package io.weaseldb.storage;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.zip.CRC32C;

/**
 * Bans in append-only files {@code bans/<20-digit generation>.ban} of the data directory. Record (big-endian):
 * length u32 N (= 16 + id bytes) | CRC32C u32 over the length field and the N body bytes | version i64 |
 * timestamp ms i64 | request id (UTF-8).
 *
 * <p>A generation is closed once it passes {@link #GENERATION_BYTES}, and deleted once its newest ban has expired
 * by both retention rules (as bans in memory are), or once the bans after it alone exceed the in-memory bound
 * (a restart would forget them at once). Recovery treats a damaged tail of the newest generation as a torn write
 * (cut, with a warning) and refuses damage anywhere else, naming the file and offset, as the commit log does.
 */
public final class FileBanJournal implements BanJournal {
    private static final System.Logger LOG = System.getLogger(FileBanJournal.class.getName());
    public static final String DIR = "bans";
    static final long GENERATION_BYTES = 16L << 20;
    private static final int HEADER = 24;  // length, CRC, version, timestamp
    private static final int MAX_ID_BYTES = 4096;

    /** A closed or active generation: its file, and what deciding its deletion needs. */
    private static final class Generation {
        final long number;
        final Path path;
        long bans;
        long newestVersion = -1;
        long newestMillis = Long.MIN_VALUE;

        Generation(long number, Path path) {
            this.number = number;
            this.path = path;
        }
    }

    private final Path dir;
    private final boolean fsync;
    private final long retentionMillis;
    private final long retentionVersions;
    private final long maxBans;
    private final LongSupplier clockMillis;
    private final long generationBytes;
    private final List<Generation> generations = new ArrayList<>();
    private FileChannel active;
    private long activeSize;
    private ByteBuffer pending = ByteBuffer.allocate(4096);
    private final CRC32C crc = new CRC32C();

    private FileBanJournal(Path dir, boolean fsync, long retentionMillis, long retentionVersions, long maxBans,
                           LongSupplier clockMillis, long generationBytes) {
        this.dir = dir;
        this.fsync = fsync;
        this.retentionMillis = retentionMillis;
        this.retentionVersions = retentionVersions;
        this.maxBans = maxBans;
        this.clockMillis = clockMillis;
        this.generationBytes = generationBytes;
    }

    /** Opens (recovering) or creates the journal under {@code dataDir/bans}. */
    public static FileBanJournal open(Path dataDir, boolean fsync, long retentionMillis, long retentionVersions, long maxBans,
                                      LongSupplier clockMillis) throws IOException {
        return open(dataDir, fsync, retentionMillis, retentionVersions, maxBans, clockMillis, GENERATION_BYTES);
    }

    static FileBanJournal open(Path dataDir, boolean fsync, long retentionMillis, long retentionVersions, long maxBans,
                               LongSupplier clockMillis, long generationBytes) throws IOException {
        Path dir = dataDir.resolve(DIR);
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            if (fsync) SegmentedFileLog.forceDirectory(dataDir);
        }
        FileBanJournal j = new FileBanJournal(dir, fsync, retentionMillis, retentionVersions, maxBans, clockMillis, generationBytes);
        j.recover();
        return j;
    }

    private void recover() throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (generationOf(p) >= 0) files.add(p);
                else LOG.log(Level.WARNING, "ignoring unexpected file in ban journal directory: " + p);
            }
        }
        files.sort(Comparator.comparingLong(FileBanJournal::generationOf));
        for (int i = 0; i < files.size(); i++) {
            Generation g = new Generation(generationOf(files.get(i)), files.get(i));
            long end = scan(g, null, i == files.size() - 1);
            generations.add(g);
            if (i == files.size() - 1) activeSize = end;
        }
        if (generations.isEmpty()) {
            startGeneration(1);
        } else {
            Generation last = generations.get(generations.size() - 1);
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

    /**
     * Reads generation g's records (to {@code visitor} when given) and returns where the valid ones end. A bad
     * record in the newest generation with nothing valid after it is a torn write; anything else is refused.
     */
    private long scan(Generation g, Visitor visitor, boolean newest) throws IOException {
        byte[] all = Files.readAllBytes(g.path);
        ByteBuffer b = ByteBuffer.wrap(all);
        int at = 0;
        while (at < all.length) {
            String problem = null;
            int n = all.length - at >= 4 ? b.getInt(at) : -1;
            if (n < 0) problem = "incomplete record length";
            else if (n < 16 || n > 16 + MAX_ID_BYTES) problem = "record length " + n + " outside [16, " + (16 + MAX_ID_BYTES) + "]";
            else if (all.length - at < LogFormat.RECORD_PREFIX_BYTES + n) problem = "incomplete record: length says " + n + " body bytes";
            else if (LogFormat.recordCrc(crc, all, at, n) != b.getInt(at + 4)) problem = "record CRC32C mismatch";
            if (problem != null) {
                if (newest) return at;  // a torn write: recover() cuts it
                throw new CorruptLogException("ban journal", g.path, at, problem
                    + " (damage before the newest generation's end is not a torn write)");
            }
            long version = b.getLong(at + 8);
            long millis = b.getLong(at + 16);
            g.bans++;
            g.newestVersion = version;
            g.newestMillis = millis;
            if (visitor != null) visitor.visit(new Ban(new String(all, at + HEADER, n - 16, StandardCharsets.UTF_8), version, millis));
            at += LogFormat.RECORD_PREFIX_BYTES + n;
        }
        return at;
    }

    @Override
    public void replay(Visitor visitor) throws IOException {
        for (Generation g : generations) {
            scan(new Generation(g.number, g.path), visitor, g == generations.get(generations.size() - 1));
        }
    }

    @Override
    public void append(String requestId, long version, long timestampMillis) {
        byte[] id = requestId.getBytes(StandardCharsets.UTF_8);
        int n = 16 + id.length;
        if (pending.remaining() < LogFormat.RECORD_PREFIX_BYTES + n) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(pending.capacity() * 2, pending.position() + LogFormat.RECORD_PREFIX_BYTES + n));
            pending.flip();
            bigger.put(pending);
            pending = bigger;
        }
        int at = pending.position();
        pending.putInt(n).putInt(0).putLong(version).putLong(timestampMillis).put(id);
        pending.putInt(at + 4, LogFormat.recordCrc(crc, pending.array(), at, n));
        Generation g = generations.get(generations.size() - 1);
        g.bans++;
        g.newestVersion = version;
        g.newestMillis = timestampMillis;
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
        prune(lastVersion);
    }

    private void startGeneration(long number) throws IOException {
        Path p = dir.resolve(String.format("%020d.ban", number));
        active = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        if (fsync) SegmentedFileLog.forceDirectory(dir);
        activeSize = 0;
        generations.add(new Generation(number, p));
    }

    /** Deletes closed generations no restart needs, oldest first (so what is left is always a suffix). */
    private void prune(long lastVersion) throws IOException {
        long now = clockMillis.getAsLong();
        long after = 0;
        for (int i = 1; i < generations.size(); i++) after += generations.get(i).bans;
        while (generations.size() > 1) {
            Generation g = generations.get(0);
            boolean expired = g.newestVersion < 0
                || (now - g.newestMillis >= retentionMillis && lastVersion - g.newestVersion > retentionVersions);
            if (!expired && after < maxBans) break;
            Files.deleteIfExists(g.path);
            if (fsync) SegmentedFileLog.forceDirectory(dir);
            generations.remove(0);
            after -= generations.get(0).bans;
        }
    }

    /** Generation files retained (for tests). */
    int generations() {
        return generations.size();
    }

    private static long generationOf(Path p) {
        String n = p.getFileName().toString();
        if (n.length() != 24 || !n.endsWith(".ban")) return -1;
        for (int i = 0; i < 20; i++) if (n.charAt(i) < '0' || n.charAt(i) > '9') return -1;
        return Long.parseLong(n.substring(0, 20));
    }

    @Override
    public void close() throws IOException {
        active.close();
    }
}
