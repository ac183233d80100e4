package io.weaseldb.commit;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * One optimistic read the transaction depends on: it must still hold at commit time.
 * Keys are raw bytes compared unsigned-lexicographically; ranges are half-open {@code [begin, end)}.
 * The version is optional per precondition: {@link CommitRequest#effectiveVersion(int)} falls back to
 * the request's {@code read_version}.
 *
 * <p>Byte arrays are shared, not copied: nobody may modify them after construction.
 */
public final class Precondition {
    public enum Type {
        POINT_READ("point_read"), RANGE_READ("range_read");

        private final String wireName;

        Type(String wireName) {
            this.wireName = wireName;
        }

        /** The name used in the JSON {@code type} field. */
        public String wireName() {
            return wireName;
        }
    }

    private final Type type;
    private final byte[] begin;
    private final byte[] end;
    private final long version;
    private final boolean hasVersion;

    private Precondition(Type type, byte[] begin, byte[] end, long version, boolean hasVersion) {
        this.type = type;
        this.begin = begin;
        this.end = end;
        this.version = version;
        this.hasVersion = hasVersion;
    }

    public static Precondition pointRead(byte[] key, long version) {
        return new Precondition(Type.POINT_READ, requireNonNull(key), null, version, true);
    }

    /** A point read at the request's {@code read_version}. */
    public static Precondition pointRead(byte[] key) {
        return new Precondition(Type.POINT_READ, requireNonNull(key), null, 0, false);
    }

    public static Precondition rangeRead(byte[] begin, byte[] end, long version) {
        return new Precondition(Type.RANGE_READ, requireNonNull(begin), requireNonNull(end), version, true);
    }

    /** A range read at the request's {@code read_version}. */
    public static Precondition rangeRead(byte[] begin, byte[] end) {
        return new Precondition(Type.RANGE_READ, requireNonNull(begin), requireNonNull(end), 0, false);
    }

    public Type type() {
        return type;
    }

    /** The key of a point read (for a range read: its begin). */
    public byte[] key() {
        return begin;
    }

    public byte[] begin() {
        return begin;
    }

    /** End (exclusive) of a range read; null for a point read. */
    public byte[] end() {
        return end;
    }

    /** True when the precondition carries its own version rather than using {@code read_version}. */
    public boolean hasVersion() {
        return hasVersion;
    }

    /** Its own version; meaningful only when {@link #hasVersion()}. */
    public long version() {
        return version;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Precondition p && type == p.type && hasVersion == p.hasVersion && version == p.version
                && Arrays.equals(begin, p.begin) && Arrays.equals(end, p.end);
    }

    @Override
    public int hashCode() {
        return ((type.hashCode() * 31 + Arrays.hashCode(begin)) * 31 + Arrays.hashCode(end)) * 31 + Long.hashCode(version);
    }

    @Override
    public String toString() {
        HexFormat hex = HexFormat.of();
        String v = hasVersion ? "@" + version : "@read_version";
        return type == Type.POINT_READ
                ? "point_read(" + hex.formatHex(begin) + ")" + v
                : "range_read[" + hex.formatHex(begin) + ", " + hex.formatHex(end) + ")" + v;
    }

    static byte[] requireNonNull(byte[] bytes) {
        if (bytes == null) {
            throw new NullPointerException("key bytes");
        }
        return bytes;
    }
}
