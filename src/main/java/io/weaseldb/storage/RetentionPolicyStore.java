package io.weaseldb.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

/**
 * Durable map of retention policy id → min version (API.md "Retention policies"). The whole map is rewritten
 * on every change: write {@code retention-policies.tmp}, fsync it, rename it over
 * {@code retention-policies}, fsync the directory. A crash at any point leaves either the old or the new file;
 * a leftover temp file is ignored (and removed on open).
 *
 * <p>File format (UTF-8 text, {@code \n} line ends):
 * <pre>
 * weaseldb-retention-policies 1
 * &lt;policy id&gt; &lt;min version, decimal&gt;      one line per policy, sorted by id
 * crc32c &lt;8 hex digits&gt;                     CRC32C of every byte before this line
 * </pre>
 *
 * <p>Reads are lock-free on an immutable snapshot. Changes are serialised by a lock, and the file I/O happens
 * under it: these are rare admin operations on a tiny file, never on a connection's I/O path, and holding the
 * lock keeps the file and the snapshot in the same order.
 */
public final class RetentionPolicyStore {
    static final String FILE_NAME = "retention-policies";
    static final String TEMP_NAME = "retention-policies.tmp";
    private static final String HEADER = "weaseldb-retention-policies 1";
    private static final int MAX_ID_LENGTH = 128;
    /**
     * Policies that may exist at once. Each change rewrites the whole file, so without a bound a client could
     * grow it (and every later change's cost) without limit: 10,000 policies make a ~1.5 MB file, ~10 ms a change.
     */
    public static final int MAX_POLICIES = 10_000;

    private final Path file;
    private final Path temp;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final int maxPolicies;
    private volatile SortedMap<String, Long> snapshot;

    private RetentionPolicyStore(Path dir, SortedMap<String, Long> initial, int maxPolicies) {
        this.maxPolicies = maxPolicies;
        this.file = dir.resolve(FILE_NAME);
        this.temp = dir.resolve(TEMP_NAME);
        this.snapshot = initial;
    }

    /** Loads the policies saved under {@code dataDir} (none if the file does not exist yet). */
    public static RetentionPolicyStore open(Path dataDir) throws IOException {
        return open(dataDir, MAX_POLICIES);
    }

    /** As {@link #open(Path)} with another bound on the number of policies (tests). */
    static RetentionPolicyStore open(Path dataDir, int maxPolicies) throws IOException {
        Files.createDirectories(dataDir);  // the server has made it durable already (WeaselServer)
        Files.deleteIfExists(dataDir.resolve(TEMP_NAME)); // an interrupted write; the real file is intact
        return new RetentionPolicyStore(dataDir, load(dataDir.resolve(FILE_NAME)), maxPolicies);
    }

    /** True for ids the API allows: 1–128 chars of {@code [A-Za-z0-9._-]}. */
    public static boolean isValidId(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_ID_LENGTH) return false;
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
            if (!ok) return false;
        }
        return true;
    }

    public Optional<Long> get(String id) {
        return Optional.ofNullable(snapshot.get(id));
    }

    /** Sorted by id; an immutable snapshot. */
    public SortedMap<String, Long> all() {
        return snapshot;
    }

    /** The smallest min version over all policies, or empty when there are none. */
    public OptionalLong minOfAll() {
        SortedMap<String, Long> s = snapshot;
        return s.values().stream().mapToLong(Long::longValue).min();
    }

    /** Creating one more policy than {@link #MAX_POLICIES}. */
    public static final class TooManyPoliciesException extends Exception {
        TooManyPoliciesException(int max) {
            super("at most " + max + " retention policies may exist at once; delete one first", null, false, false);
        }
    }

    /** Creates or replaces a policy durably; true if it was created, false if replaced. */
    public boolean put(String id, long minVersion) throws IOException, TooManyPoliciesException {
        if (!isValidId(id)) throw new IllegalArgumentException("policy_id must be 1-128 chars of [A-Za-z0-9._-]: " + id);
        writeLock.lock();
        try {
            if (snapshot.size() >= maxPolicies && !snapshot.containsKey(id)) throw new TooManyPoliciesException(maxPolicies);
            TreeMap<String, Long> next = new TreeMap<>(snapshot);
            boolean created = next.put(id, minVersion) == null;
            save(next);
            return created;
        } finally {
            writeLock.unlock();
        }
    }

    /** Deletes a policy durably; false if there was none. */
    public boolean delete(String id) throws IOException {
        writeLock.lock();
        try {
            if (!snapshot.containsKey(id)) return false;
            TreeMap<String, Long> next = new TreeMap<>(snapshot);
            next.remove(id);
            save(next);
            return true;
        } finally {
            writeLock.unlock();
        }
    }

    /** Writes {@code next} durably, then publishes it; on failure the published snapshot stays the old one. */
    private void save(TreeMap<String, Long> next) throws IOException {
        StringBuilder text = new StringBuilder(HEADER).append('\n');
        next.forEach((k, v) -> text.append(k).append(' ').append(v).append('\n'));
        byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
        CRC32C crc = new CRC32C();
        crc.update(body);
        byte[] trailer = ("crc32c " + String.format("%08x", (int) crc.getValue()) + "\n").getBytes(StandardCharsets.US_ASCII);
        DurableReplace.write(temp, file, true, ByteBuffer.wrap(body), ByteBuffer.wrap(trailer));
        snapshot = Collections.unmodifiableSortedMap(next);
    }

    private static SortedMap<String, Long> load(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Collections.unmodifiableSortedMap(new TreeMap<>());
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        int trailerAt = text.lastIndexOf("crc32c ");
        if (trailerAt < 0 || !text.endsWith("\n")) throw new IOException(file + ": missing crc32c trailer line (file truncated?)");
        String trailer = text.substring(trailerAt, text.length() - 1);
        CRC32C crc = new CRC32C();
        byte[] covered = text.substring(0, trailerAt).getBytes(StandardCharsets.UTF_8);
        crc.update(covered);
        String expected = String.format("crc32c %08x", (int) crc.getValue());
        if (!trailer.equals(expected)) {
            throw new IOException(file + ": checksum mismatch at byte offset " + covered.length + " (found '" + trailer + "', computed '" + expected + "')");
        }
        String[] lines = text.substring(0, trailerAt).split("\n", -1);
        if (!lines[0].equals(HEADER)) throw new IOException(file + " line 1: expected '" + HEADER + "' but found '" + lines[0] + "'");
        TreeMap<String, Long> map = new TreeMap<>();
        // lines ends with "" after the final newline before the trailer.
        for (int i = 1; i < lines.length - 1; i++) {
            String line = lines[i];
            int sp = line.indexOf(' ');
            String id = sp < 0 ? line : line.substring(0, sp);
            long v;
            try {
                if (sp < 0 || !isValidId(id)) throw new NumberFormatException();
                v = Long.parseLong(line.substring(sp + 1));
            } catch (NumberFormatException e) {
                throw new IOException(file + " line " + (i + 1) + ": expected '<policy id> <min version>' but found '" + line + "'");
            }
            if (map.put(id, v) != null) throw new IOException(file + " line " + (i + 1) + ": duplicate policy id " + id);
        }
        return Collections.unmodifiableSortedMap(map);
    }
}
