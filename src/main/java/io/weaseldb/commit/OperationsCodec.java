package io.weaseldb.commit;

import com.fasterxml.jackson.core.Base64Variants;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
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
    private static final byte[] EVENT_VERSION = "{\"version\":".getBytes(US_ASCII);
    private static final byte[] EVENT_REQUEST_ID = ",\"request_id\":\"".getBytes(US_ASCII);
    private static final byte[] EVENT_OPERATIONS = "\",\"operations\":".getBytes(US_ASCII);

    private OperationsCodec() { }

    public static byte[] encodeJson(List<Operation> operations) {
        ByteArrayBuilder out = new ByteArrayBuilder(Math.min(64 + 96 * operations.size(), 64 * 1024));
        try (JsonGenerator g = Json.FACTORY.createGenerator(out)) {
            g.writeStartArray();
            for (Operation op : operations) {
                g.writeStartObject();
                g.writeStringField("type", op.type().wireName());
                switch (op.type()) {
                    case WRITE -> {
                        binary(g, "key", op.key());
                        binary(g, "value", op.value());
                    }
                    case DELETE -> binary(g, "key", op.key());
                    case RANGE_DELETE -> {
                        binary(g, "begin", op.begin());
                        binary(g, "end", op.end());
                    }
                }
                g.writeEndObject();
            }
            g.writeEndArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);  // never: the target is memory
        }
        return out.toByteArray();
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

    /**
     * The {@code data:} of a subscription event: {@code {"version":N,"request_id":"…","operations":<payload>}},
     * with the payload copied verbatim.
     */
    public static byte[] encodeEvent(long version, String requestId, byte[] operationsPayload) {
        byte[] v = Long.toString(version).getBytes(US_ASCII);
        byte[] id = JsonStringEncoder.getInstance().quoteAsUTF8(requestId);
        byte[] out = new byte[EVENT_VERSION.length + v.length + EVENT_REQUEST_ID.length + id.length
                + EVENT_OPERATIONS.length + operationsPayload.length + 1];
        int o = 0;
        for (byte[] part : new byte[][] {EVENT_VERSION, v, EVENT_REQUEST_ID, id, EVENT_OPERATIONS, operationsPayload}) {
            System.arraycopy(part, 0, out, o, part.length);
            o += part.length;
        }
        out[o] = '}';
        return out;
    }

    private static void binary(JsonGenerator g, String field, byte[] bytes) throws IOException {
        g.writeFieldName(field);
        g.writeBinary(Base64Variants.MIME_NO_LINEFEEDS, bytes, 0, bytes.length);
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
