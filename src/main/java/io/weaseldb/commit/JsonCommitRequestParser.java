package io.weaseldb.commit;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The {@code application/json} commit body parser: jackson's non-blocking parser is fed each slice as it
 * arrives and a token-by-token state machine builds the {@link CommitRequest}, so a request is never
 * buffered whole and an error is reported as soon as its token is seen.
 *
 * <p>Rules on top of JSON syntax: the body is exactly one object; unknown or duplicate fields are refused;
 * {@code null} means "absent"; versions are non-negative integers within a signed 64-bit range; keys and
 * values are strict standard base64 (see {@link StrictBase64}), size-checked before decoding. Fields a type
 * does not use (a {@code value} on a {@code delete}) are refused rather than silently ignored.
 */
public final class JsonCommitRequestParser implements CommitRequestParser {
    private enum State { START, TOP_FIELD, TOP_VALUE, ARRAY, ELEMENT_FIELD, ELEMENT_VALUE, DONE, FAILED, FINISHED }

    // Top-level fields (bits, for duplicate detection).
    private static final int REQUEST_ID = 1;
    private static final int LEADER_ID = 2;
    private static final int READ_VERSION = 4;
    private static final int PRECONDITIONS = 8;
    private static final int OPERATIONS = 16;

    // Element fields (bits).
    private static final int TYPE = 1;
    private static final int KEY = 2;
    private static final int VALUE = 4;
    private static final int BEGIN = 8;
    private static final int END = 16;
    private static final int VERSION = 32;
    private static final String[] TOP_FIELD_NAMES = {"request_id", "leader_id", "read_version", "preconditions", "operations"};
    private static final String[] ELEMENT_FIELD_NAMES = {"type", "key", "value", "begin", "end", "version"};

    // Element types; index into the tables below.
    private static final int WRITE = 0;
    private static final int DELETE = 1;
    private static final int RANGE_DELETE = 2;
    private static final int POINT_READ = 3;
    private static final int RANGE_READ = 4;
    private static final String[] TYPE_NAMES = {"write", "delete", "range_delete", "point_read", "range_read"};
    private static final int[] ALLOWED = {TYPE | KEY | VALUE, TYPE | KEY, TYPE | BEGIN | END, TYPE | KEY | VERSION, TYPE | BEGIN | END | VERSION};
    private static final int[] REQUIRED = {KEY | VALUE, KEY, BEGIN | END, KEY, BEGIN | END};
    private static final int MAX_ECHO_CHARS = 64;
    private static final String UNEXPECTED_END = "request body: unexpected end of input";

    private final CommitLimits limits;
    private final CommitRequest.Builder builder;
    private final JsonParser parser;
    private final ByteArrayFeeder feeder;
    private final Utf8Validator utf8 = new Utf8Validator();  // jackson's async parser lets overlong forms through

    private State state = State.START;
    private CommitRequestException error;
    private int topSeen;
    private int topField;
    private boolean inOperations;
    private int index = -1;
    // The element being read: fields may come in any order, so its type is only known at its end.
    private int elementSeen;
    private int elementPresent;
    private int elementField;
    private int elementType;
    private byte[] key;
    private byte[] value;
    private byte[] begin;
    private byte[] end;
    private long version;

    public JsonCommitRequestParser(CommitLimits limits) {
        this.limits = limits;
        this.builder = CommitRequest.builder(limits);
        try {
            this.parser = Json.FACTORY.createNonBlockingByteArrayParser();
        } catch (IOException e) {
            throw new UncheckedIOException(e);  // never: nothing is read yet
        }
        this.feeder = (ByteArrayFeeder) parser.getNonBlockingInputFeeder();
    }

    @Override
    public void feed(byte[] buf, int off, int len) {
        if (state == State.FAILED || len == 0) {
            return;
        }
        if (state == State.FINISHED) {
            throw new IllegalStateException("feed after finish");
        }
        try {
            // The bytes before an invalid one are parsed first, so that the first error in the body is the one
            // reported, however it was split into slices.
            int bad = utf8.feed(buf, off, len);
            int valid = bad < 0 ? len : bad;
            if (valid > 0) {
                feeder.feedInput(buf, off, off + valid);
                // Drain every token now: jackson reads the caller's array in place, only valid during this call.
                pump();
            }
            if (bad >= 0 && state != State.FAILED) {
                throw invalidUtf8("");
            }
        } catch (CommitRequestException e) {
            fail(e);
        } catch (IOException e) {
            fail(syntaxError(e, where()));
        }
    }

    @Override
    public CommitRequest finish() throws CommitRequestException {
        if (state == State.FINISHED) {
            throw new IllegalStateException("finish called twice");
        }
        if (state != State.FAILED) {
            try {
                if (!utf8.complete()) {
                    throw invalidUtf8(" (the body ends inside a character)");
                }
                feeder.endOfInput();
                pump();
                if (state == State.START) {
                    throw new CommitRequestException("request body: empty");
                }
                if (state != State.DONE) {
                    throw new CommitRequestException(UNEXPECTED_END);
                }
            } catch (CommitRequestException e) {
                fail(e);
            } catch (IOException e) {
                fail(syntaxError(e, where()));
            }
        }
        if (state == State.FAILED) {
            throw error;
        }
        state = State.FINISHED;
        close();
        return builder.build();
    }

    @Override
    public void close() {
        try {
            parser.close();  // returns jackson's buffers to the pool
        } catch (IOException ignored) {
            // Nothing to release that could fail: there is no underlying stream.
        }
    }

    private void fail(CommitRequestException e) {
        error = e;
        state = State.FAILED;
        close();
    }

    private void pump() throws IOException, CommitRequestException {
        JsonToken t;
        while (state != State.FAILED && (t = parser.nextToken()) != JsonToken.NOT_AVAILABLE && t != null) {
            onToken(t);
        }
    }

    private void onToken(JsonToken t) throws IOException, CommitRequestException {
        switch (state) {
            case START -> {
                if (t != JsonToken.START_OBJECT) {
                    throw new CommitRequestException("request body: expected a JSON object, got " + describe(t));
                }
                state = State.TOP_FIELD;
            }
            case TOP_FIELD -> {
                if (t == JsonToken.END_OBJECT) {
                    state = State.DONE;
                    return;
                }
                String name = parser.currentName();
                int field = switch (name) {
                    case "request_id" -> REQUEST_ID;
                    case "leader_id" -> LEADER_ID;
                    case "read_version" -> READ_VERSION;
                    case "preconditions" -> PRECONDITIONS;
                    case "operations" -> OPERATIONS;
                    default -> throw new CommitRequestException(echo(name) + ": unknown field");
                };
                if ((topSeen & field) != 0) {
                    throw new CommitRequestException(name + ": duplicate field");
                }
                topSeen |= field;
                topField = field;
                state = State.TOP_VALUE;
            }
            case TOP_VALUE -> {
                state = State.TOP_FIELD;
                switch (topField) {
                    case REQUEST_ID -> {
                        if (t != JsonToken.VALUE_NULL) {
                            builder.requestId(string(t, "request_id"));
                        }
                    }
                    case LEADER_ID -> {
                        if (t != JsonToken.VALUE_NULL) {
                            builder.leaderId(string(t, "leader_id"));
                        }
                    }
                    case READ_VERSION -> {
                        if (t != JsonToken.VALUE_NULL) {
                            builder.readVersion(integer(t, null, "read_version"));
                        }
                    }
                    default -> {
                        String name = topFieldName();
                        if (t == JsonToken.START_ARRAY) {
                            inOperations = topField == OPERATIONS;
                            index = -1;
                            state = State.ARRAY;
                        } else if (t != JsonToken.VALUE_NULL) {
                            throw new CommitRequestException(name + ": expected an array, got " + describe(t));
                        }
                    }
                }
            }
            case ARRAY -> {
                if (t == JsonToken.END_ARRAY) {
                    state = State.TOP_FIELD;
                    return;
                }
                index++;
                if (t != JsonToken.START_OBJECT) {
                    throw CommitRequestException.at(listName(), index, null, "expected an object, got " + describe(t));
                }
                elementSeen = 0;
                elementPresent = 0;
                elementType = -1;
                key = value = begin = end = null;
                version = 0;
                state = State.ELEMENT_FIELD;
            }
            case ELEMENT_FIELD -> {
                if (t == JsonToken.END_OBJECT) {
                    endElement();
                    state = State.ARRAY;
                    return;
                }
                String name = parser.currentName();
                int field = switch (name) {
                    case "type" -> TYPE;
                    case "key" -> KEY;
                    case "begin" -> BEGIN;
                    case "end" -> END;
                    case "value" -> inOperations ? VALUE : 0;
                    case "version" -> inOperations ? 0 : VERSION;
                    default -> 0;
                };
                if (field == 0) {
                    throw CommitRequestException.at(listName(), index, echo(name), "unknown field");
                }
                if ((elementSeen & field) != 0) {
                    throw CommitRequestException.at(listName(), index, name, "duplicate field");
                }
                elementSeen |= field;
                elementField = field;
                state = State.ELEMENT_VALUE;
            }
            case ELEMENT_VALUE -> {
                state = State.ELEMENT_FIELD;
                if (t == JsonToken.VALUE_NULL) {
                    return;
                }
                elementPresent |= elementField;
                switch (elementField) {
                    case TYPE -> elementType = type(t);
                    case KEY -> key = base64(t, "key", limits.maxKeyBytes());
                    case VALUE -> value = base64(t, "value", limits.maxValueBytes());
                    case BEGIN -> begin = base64(t, "begin", limits.maxRangeBoundBytes());
                    case END -> end = base64(t, "end", limits.maxRangeBoundBytes());
                    default -> version = integer(t, listName(), "version");
                }
            }
            case DONE -> throw new CommitRequestException("request body: unexpected content after the JSON object");
            default -> throw new IllegalStateException(state.name());
        }
    }

    private void endElement() throws CommitRequestException {
        String list = listName();
        if (elementType < 0) {
            throw CommitRequestException.at(list, index, "type", "required");
        }
        int notAllowed = elementPresent & ~ALLOWED[elementType];
        if (notAllowed != 0) {
            throw CommitRequestException.at(list, index, fieldName(notAllowed),
                    "not allowed for type \"" + TYPE_NAMES[elementType] + "\"");
        }
        int missing = REQUIRED[elementType] & ~elementPresent;
        if (missing != 0) {
            throw CommitRequestException.at(list, index, fieldName(missing), "required");
        }
        boolean hasVersion = (elementPresent & VERSION) != 0;
        switch (elementType) {
            case WRITE -> builder.write(key, value);
            case DELETE -> builder.delete(key);
            case RANGE_DELETE -> builder.rangeDelete(begin, end);
            case POINT_READ -> builder.pointRead(key, hasVersion, version);
            default -> builder.rangeRead(begin, end, hasVersion, version);
        }
    }

    private int type(JsonToken t) throws IOException, CommitRequestException {
        if (t != JsonToken.VALUE_STRING) {
            throw CommitRequestException.at(listName(), index, "type", "expected a string, got " + describe(t));
        }
        char[] buf = parser.getTextCharacters();
        int off = parser.getTextOffset();
        int len = parser.getTextLength();
        int first = inOperations ? WRITE : POINT_READ;
        int last = inOperations ? RANGE_DELETE : RANGE_READ;
        for (int type = first; type <= last; type++) {
            if (equals(buf, off, len, TYPE_NAMES[type])) {
                return type;
            }
        }
        throw CommitRequestException.at(listName(), index, "type", "unknown type \"" + echo(parser.getText()) + "\"");
    }

    private byte[] base64(JsonToken t, String field, int limit) throws IOException, CommitRequestException {
        if (t != JsonToken.VALUE_STRING) {
            throw CommitRequestException.at(listName(), index, field, "expected a base64 string, got " + describe(t));
        }
        char[] buf = parser.getTextCharacters();
        int off = parser.getTextOffset();
        int len = parser.getTextLength();
        int decodedLength = StrictBase64.decodedLength(buf, off, len);
        if (decodedLength > limit) {  // before decoding: never allocate for an oversized field
            throw CommitRequestException.tooLarge(CommitRequestException.path(listName(), index, field), decodedLength, limit);
        }
        byte[] bytes = StrictBase64.decode(buf, off, len);
        if (bytes == null) {
            throw CommitRequestException.at(listName(), index, field, "invalid base64: " + StrictBase64.explain(buf, off, len));
        }
        return bytes;
    }

    private String string(JsonToken t, String field) throws IOException, CommitRequestException {
        if (t != JsonToken.VALUE_STRING) {
            throw new CommitRequestException(field + ": expected a string, got " + describe(t));
        }
        return parser.getText();
    }

    /** An integer field; {@code list} is null for a top-level field. */
    private long integer(JsonToken t, String list, String field) throws IOException, CommitRequestException {
        if (t != JsonToken.VALUE_NUMBER_INT || parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            String path = list == null ? field : CommitRequestException.path(list, index, field);
            throw new CommitRequestException(path + (t != JsonToken.VALUE_NUMBER_INT
                    ? ": expected an integer, got " + describe(t)
                    : ": " + echo(parser.getText()) + " is out of the signed 64-bit range"));
        }
        return parser.getLongValue();
    }

    private String topFieldName() {
        return TOP_FIELD_NAMES[Integer.numberOfTrailingZeros(topField)];
    }

    private String listName() {
        return inOperations ? "operations" : "preconditions";
    }

    private static String fieldName(int bits) {
        return ELEMENT_FIELD_NAMES[Integer.numberOfTrailingZeros(bits)];
    }

    private static boolean equals(char[] buf, int off, int len, String s) {
        if (len != s.length()) {
            return false;
        }
        for (int i = 0; i < len; i++) {
            if (buf[off + i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static String describe(JsonToken t) {
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            case VALUE_NUMBER_FLOAT -> "a non-integer number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.name();
        };
    }

    /** Client text echoed in a message, capped so a huge field name cannot inflate the error response. */
    private static String echo(String s) {
        return s.length() <= MAX_ECHO_CHARS ? s : s.substring(0, MAX_ECHO_CHARS) + "...";
    }

    private CommitRequestException invalidUtf8(String detail) {
        return new CommitRequestException("request body: invalid UTF-8 at byte " + utf8.errorOffset() + detail);
    }

    /** The field whose value was being read (a syntax error inside it names it), else the body as a whole. */
    private String where() {
        return switch (state) {
            case TOP_VALUE -> topFieldName();
            case ELEMENT_VALUE -> CommitRequestException.path(listName(), index, fieldName(elementField));
            case ARRAY -> CommitRequestException.path(listName(), index + 1, null);
            default -> "request body";
        };
    }

    /** Jackson's message without its source dump or settings, prefixed with the field and position. */
    private static CommitRequestException syntaxError(IOException e, String field) {
        if (!(e instanceof JsonProcessingException jpe)) {
            return new CommitRequestException(field + ": " + e.getMessage());
        }
        if (jpe.getOriginalMessage().startsWith("Unexpected end-of-input")) {  // jackson's detail is its internal state
            return new CommitRequestException(UNEXPECTED_END);
        }
        return new CommitRequestException(field + ": " + JsonSyntax.describe(jpe));
    }
}
