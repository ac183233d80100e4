package io.weaseldb.commit;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * One mutation of a transaction; a transaction's operations apply atomically and in order.
 *
 * <p>Byte arrays are shared, not copied: nobody may modify them after construction (the conflict
 * history keeps references to keys).
 */
public final class Operation {
    public enum Type {
        WRITE("write"), DELETE("delete"), RANGE_DELETE("range_delete");

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
    private final byte[] first;   // key, or begin of a range
    private final byte[] second;  // value of a write, end of a range, else null

    private Operation(Type type, byte[] first, byte[] second) {
        this.type = type;
        this.first = first;
        this.second = second;
    }

    public static Operation write(byte[] key, byte[] value) {
        return new Operation(Type.WRITE, Precondition.requireNonNull(key), Precondition.requireNonNull(value));
    }

    public static Operation delete(byte[] key) {
        return new Operation(Type.DELETE, Precondition.requireNonNull(key), null);
    }

    public static Operation rangeDelete(byte[] begin, byte[] end) {
        return new Operation(Type.RANGE_DELETE, Precondition.requireNonNull(begin), Precondition.requireNonNull(end));
    }

    public Type type() {
        return type;
    }

    /** Key of a write or delete (for a range delete: its begin). */
    public byte[] key() {
        return first;
    }

    /** Value of a write; null otherwise. */
    public byte[] value() {
        return type == Type.WRITE ? second : null;
    }

    public byte[] begin() {
        return first;
    }

    /** End (exclusive) of a range delete; null otherwise. */
    public byte[] end() {
        return type == Type.RANGE_DELETE ? second : null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Operation op && type == op.type && Arrays.equals(first, op.first) && Arrays.equals(second, op.second);
    }

    @Override
    public int hashCode() {
        return (type.hashCode() * 31 + Arrays.hashCode(first)) * 31 + Arrays.hashCode(second);
    }

    @Override
    public String toString() {
        HexFormat hex = HexFormat.of();
        return switch (type) {
            case WRITE -> "write(" + hex.formatHex(first) + " = " + hex.formatHex(second) + ")";
            case DELETE -> "delete(" + hex.formatHex(first) + ")";
            case RANGE_DELETE -> "range_delete[" + hex.formatHex(first) + ", " + hex.formatHex(second) + ")";
        };
    }
}
