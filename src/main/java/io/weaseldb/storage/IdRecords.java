package io.weaseldb.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.zip.CRC32C;

/**
 * The files that keep request ids beside the commit log (the ban journal, the id archive): their record format,
 * and the generations they are kept in.
 *
 * <p>Record (big-endian): length u32 N (= 16 + id bytes) | CRC32C u32 over the length field and the N body bytes |
 * version i64 | timestamp ms i64 | request id (UTF-8).
 */
final class IdRecords {
    static final int HEADER = 24;  // length, CRC, version, timestamp
    /** Above the request-id limit with room to spare: a length past it is damage, not an id. */
    static final int MAX_ID_BYTES = 4096;

    @FunctionalInterface
    interface Visitor {
        void visit(String requestId, long version, long timestampMillis) throws IOException;
    }

    private IdRecords() { }

    /** {@code dataDir/name}, created (durably when {@code fsync}) if missing. */
    static Path directory(Path dataDir, String name, boolean fsync) throws IOException {
        Path dir = dataDir.resolve(name);
        Directories.createDurably(dir, fsync);
        return dir;
    }

    /**
     * The files {@code <20 digits><suffix>} of {@code dir}, by number; deletes those ending {@code suffix + ".tmp"}
     * (a whole-file write a crash interrupted) and warns about anything else.
     */
    static List<Path> files(Path dir, String suffix, String what) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (number(p, suffix) >= 0) {
                    files.add(p);
                } else if (name.endsWith(suffix + TEMP_SUFFIX) || name.equals(VersionMark.OLDEST.fileName() + TEMP_SUFFIX)) {
                    Files.delete(p);
                } else if (name.equals(VersionMark.OLDEST.fileName())) {
                    continue;  // the directory's floor mark (id archive, ban journal), read by its owner
                } else {
                    System.getLogger(IdRecords.class.getName()).log(System.Logger.Level.WARNING,
                        "ignoring unexpected file in " + what + " directory: " + p);
                }
            }
        }
        files.sort(Comparator.comparingLong(p -> number(p, suffix)));
        return files;
    }

    static final String TEMP_SUFFIX = ".tmp";

    /** The number of a file named {@code <20 digits><suffix>}, or -1 for any other name. */
    static long number(Path p, String suffix) {
        String n = p.getFileName().toString();
        if (n.length() != 20 + suffix.length() || !n.endsWith(suffix)) return -1;
        for (int i = 0; i < 20; i++) if (n.charAt(i) < '0' || n.charAt(i) > '9') return -1;
        return Long.parseLong(n.substring(0, 20));
    }

    static String name(long number, String suffix) {
        return String.format("%020d", number) + suffix;
    }

    /** Appends one record to {@code pending}, or to a larger copy of it when full; returns the buffer to use from now on. */
    static ByteBuffer append(ByteBuffer pending, CRC32C crc, String requestId, long version, long timestampMillis) {
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
        return pending;
    }

    /**
     * Reads {@code g}'s records (to {@code visitor} when given, counting them into {@code g}) and returns where the
     * valid ones end. A bad record is refused, naming the file and offset, unless {@code tornTailAllowed}: then the
     * scan stops there (the caller cuts the torn write). {@code refusal} is added to the refusal's message.
     */
    static long scan(String what, Generation g, CRC32C crc, boolean tornTailAllowed, String refusal, Visitor visitor)
            throws IOException {
        return scan(what, g, Files.readAllBytes(g.path), 0, crc, tornTailAllowed, refusal, visitor);
    }

    /** As {@link #scan(String, Generation, CRC32C, boolean, String, Visitor)}, over {@code all} (the file) from {@code start}. */
    static long scan(String what, Generation g, byte[] all, int start, CRC32C crc, boolean tornTailAllowed, String refusal,
                     Visitor visitor) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(all);
        int at = start;
        while (at < all.length) {
            String problem = null;
            int n = all.length - at >= 4 ? b.getInt(at) : -1;
            if (n < 0) problem = "incomplete record length";
            else if (n < 16 || n > 16 + MAX_ID_BYTES) problem = "record length " + n + " outside [16, " + (16 + MAX_ID_BYTES) + "]";
            else if (all.length - at < LogFormat.RECORD_PREFIX_BYTES + n) problem = "incomplete record: length says " + n + " body bytes";
            else if (LogFormat.recordCrc(crc, all, at, n) != b.getInt(at + 4)) problem = "record CRC32C mismatch";
            if (problem != null) {
                if (tornTailAllowed) return at;
                throw new CorruptLogException(what, g.path, at, problem + refusal);
            }
            long version = b.getLong(at + 8);
            long millis = b.getLong(at + 16);
            g.counted(version, millis);
            if (visitor != null) visitor.visit(new String(all, at + HEADER, n - 16, StandardCharsets.UTF_8), version, millis);
            at += LogFormat.RECORD_PREFIX_BYTES + n;
        }
        return at;
    }

    /** Told, before the oldest generations are deleted, the number of the oldest that stays. */
    @FunctionalInterface
    interface FloorRaise {
        void raiseTo(long oldestKept) throws IOException;
    }

    /** A file of records, oldest first in its set, and what deciding its deletion needs. */
    static final class Generation {
        final long number;
        final Path path;
        long records;
        long newestVersion = -1;
        long newestMillis = Long.MIN_VALUE;
        /** For a file that stands for a range of versions (the id archive's): the version the range ends before. */
        long end = -1;

        Generation(long number, Path path) {
            this.number = number;
            this.path = path;
        }

        void counted(long version, long millis) {
            records++;
            newestVersion = version;
            newestMillis = millis;
        }
    }

    /**
     * The retention rules of request ids (both must have passed before one is forgotten), and the memory bound past
     * which a restart would forget them anyway.
     */
    record Retention(long retentionMillis, long retentionVersions, long maxEntries, LongSupplier clockMillis) {
        boolean expired(long version, long millis, long now, long lastVersion) {
            return now - millis >= retentionMillis && lastVersion - version > retentionVersions;
        }

        /**
         * Deletes the oldest generations no restart needs, leaving at least {@code keep} (so what is left is always a
         * suffix): those whose newest record has expired, and those before {@link #maxEntries} newer records.
         * {@code beforeDeleting} hears the number of the generation that will be the oldest left, before each
         * deletion. Returns how many not-yet-expired records went for the bound.
         */
        long prune(List<Generation> generations, int keep, long lastVersion, boolean fsync, Path dir, FloorRaise beforeDeleting)
                throws IOException {
            long now = clockMillis.getAsLong();
            long after = 0;
            for (int i = 1; i < generations.size(); i++) after += generations.get(i).records;
            long early = 0;
            while (generations.size() > keep) {
                Generation g = generations.get(0);
                boolean gone = g.newestVersion < 0 || expired(g.newestVersion, g.newestMillis, now, lastVersion);
                if (!gone) {
                    if (after < maxEntries) break;
                    early += g.records;
                }
                beforeDeleting.raiseTo(generations.get(1).number);
                Files.deleteIfExists(g.path);
                if (fsync) SegmentedFileLog.forceDirectory(dir);
                generations.remove(0);
                if (!generations.isEmpty()) after -= generations.get(0).records;
            }
            return early;
        }
    }
}
