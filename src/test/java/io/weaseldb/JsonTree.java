package io.weaseldb;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Test helper: one JSON document into maps, lists, Numbers, Strings, Booleans and nulls (jackson-core, no databind). */
public final class JsonTree {
    private JsonTree() { }

    /** Parses {@code json}; a duplicate key or content after the value fails the test. */
    public static Object parse(String json) {
        try (JsonParser p = new JsonFactory().createParser(json)) {
            return parse(p);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + e.getMessage() + ": " + json, e);
        }
    }

    /** Reads the single value {@code p} holds; a duplicate key or content after the value fails the test. */
    public static Object parse(JsonParser p) throws IOException {
        JsonToken first = p.nextToken();
        if (first == null) throw new IOException("empty document");
        Object value = read(p, first);
        if (p.nextToken() != null) throw new AssertionError("content after the top-level value at " + p.currentLocation());
        return value;
    }

    private static Object read(JsonParser p, JsonToken token) throws IOException {
        switch (token) {
            case START_OBJECT -> {
                Map<String, Object> object = new LinkedHashMap<>();
                for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                    String name = p.currentName();
                    if (object.put(name, read(p, p.nextToken())) != null) {
                        throw new AssertionError("duplicate key '" + name + "' at " + p.currentLocation());
                    }
                }
                return object;
            }
            case START_ARRAY -> {
                List<Object> array = new ArrayList<>();
                for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) array.add(read(p, t));
                return array;
            }
            case VALUE_STRING -> { return p.getText(); }
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> { return p.getNumberValue(); }
            case VALUE_TRUE -> { return Boolean.TRUE; }
            case VALUE_FALSE -> { return Boolean.FALSE; }
            case VALUE_NULL -> { return null; }
            default -> throw new AssertionError("unexpected " + token + " at " + p.currentLocation());
        }
    }
}
