package io.weaseldb.commit;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import static java.nio.charset.StandardCharsets.US_ASCII;

/**
 * The operations of a committed transaction as bytes: exactly the API's JSON {@code operations} array
 * ({@code [{"type":"write","key":"<b64>","value":"<b64>"},...]}, standard padded base64, no whitespace).
 * The same bytes are the log record payload and are embedded verbatim in subscription events, so a
 * committed transaction is encoded once, on the handler's thread, and never re-encoded.
 */
public final class OperationsCodec {

    private OperationsCodec() { }

    /**
     * Encodes into one exactly sized array, without a JSON generator: the shape is fixed and every byte is
     * ASCII that needs no escaping (type names, field names, base64). This runs once per commit on the
     * connection's thread; through jackson's generator it allocated about a third of a commit's garbage
     * (growing builder blocks, the generator, the final copy).
     */
    public static byte[] encodeJson(List<Operation> operations) {
        int n = operations.size();
        int length = 2 + Math.max(0, n - 1); // brackets and commas
        for (int i = 0; i < n; i++) length += encodedLength(operations.get(i));
        byte[] out = new byte[length];
        int p = 0;
        out[p++] = '[';
        for (int i = 0; i < n; i++) {
            if (i > 0) out[p++] = ',';
            Operation op = operations.get(i);
            p = put(out, p, TYPE_OPEN);
            p = put(out, p, TYPE_NAMES[op.type().ordinal()]);
            out[p++] = '"';
            switch (op.type()) {
                case WRITE -> {
                    p = field(out, p, KEY, op.key());
                    p = field(out, p, VALUE, op.value());
                }
                case DELETE -> p = field(out, p, KEY, op.key());
                case RANGE_DELETE -> {
                    p = field(out, p, BEGIN, op.begin());
                    p = field(out, p, END, op.end());
                }
            }
            out[p++] = '}';
        }
        out[p++] = ']';
        if (p != length) throw new IllegalStateException("encoded " + p + " bytes, sized " + length);
        return out;
    }

    private static final byte[] TYPE_OPEN = "{\"type\":\"".getBytes(US_ASCII);
    private static final byte[][] TYPE_NAMES = new byte[Operation.Type.values().length][];
    private static final byte[] KEY = ",\"key\":\"".getBytes(US_ASCII);
    private static final byte[] VALUE = ",\"value\":\"".getBytes(US_ASCII);
    private static final byte[] BEGIN = ",\"begin\":\"".getBytes(US_ASCII);
    private static final byte[] END = ",\"end\":\"".getBytes(US_ASCII);

    static {
        for (Operation.Type t : Operation.Type.values()) TYPE_NAMES[t.ordinal()] = t.wireName().getBytes(US_ASCII);
    }

    private static int encodedLength(Operation op) {
        int n = TYPE_OPEN.length + TYPE_NAMES[op.type().ordinal()].length + 1 + 1; // {"type":"<t>" ... }
        return n + switch (op.type()) {
            case WRITE -> fieldLength(KEY, op.key()) + fieldLength(VALUE, op.value());
            case DELETE -> fieldLength(KEY, op.key());
            case RANGE_DELETE -> fieldLength(BEGIN, op.begin()) + fieldLength(END, op.end());
        };
    }

    /** What {@link #field} writes: the name part, the base64 and the closing quote. */
    private static int fieldLength(byte[] name, byte[] bytes) {
        return name.length + StrictBase64.encodedLength(bytes.length) + 1;
    }

    private static int field(byte[] out, int p, byte[] name, byte[] bytes) {
        p = put(out, p, name);
        p = StrictBase64.encode(bytes, out, p);
        out[p++] = '"';
        return p;
    }

    private static int put(byte[] out, int p, byte[] bytes) {
        System.arraycopy(bytes, 0, out, p, bytes.length);
        return p + bytes.length;
    }

    /**
     * Decodes a payload written by {@link #encodeJson} (recovery). Strict: anything else is a corrupt record.
     *
     * @throws IOException naming what is wrong
     */
    public static List<Operation> decodeJson(byte[] payload) throws IOException {
        try (JsonParser p = Json.FACTORY.createParser(payload)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw corrupt("expected an array", p);
            }
            List<Operation> ops = new ArrayList<>();
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.START_OBJECT) {
                String type = null;
                byte[] key = null;
                byte[] second = null;
                while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    if (p.nextToken() != JsonToken.VALUE_STRING) {
                        throw corrupt(name + ": expected a string", p);
                    }
                    switch (name) {
                        case "type" -> type = p.getText();
                        case "key", "begin" -> key = base64(p, name);
                        case "value", "end" -> second = base64(p, name);
                        default -> throw corrupt(name + ": unknown field", p);
                    }
                }
                if (t != JsonToken.END_OBJECT || type == null || key == null) {
                    throw corrupt("incomplete operation " + ops.size(), p);
                }
                ops.add(switch (type) {
                    case "write" -> {
                        if (second == null) {
                            throw corrupt("write without value", p);
                        }
                        yield Operation.write(key, second);
                    }
                    case "delete" -> Operation.delete(key);
                    case "range_delete" -> {
                        if (second == null) {
                            throw corrupt("range_delete without end", p);
                        }
                        yield Operation.rangeDelete(key, second);
                    }
                    default -> throw corrupt("unknown type " + type, p);
                });
            }
            if (t != JsonToken.END_ARRAY || p.nextToken() != null) {
                throw corrupt("trailing content", p);
            }
            return ops;
        }
    }

    private static byte[] base64(JsonParser p, String field) throws IOException {
        byte[] bytes = StrictBase64.decode(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
        if (bytes == null) {
            throw corrupt(field + ": invalid base64", p);
        }
        return bytes;
    }

    private static IOException corrupt(String what, JsonParser p) {
        return new IOException("corrupt operations payload at byte " + p.currentLocation().getByteOffset() + ": " + what);
    }
}
