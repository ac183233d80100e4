package io.weaseldb.config;

import java.util.List;

/**
 * One configuration key: its dotted name within a table, type, allowed range and default.
 * The schema is a list of these, so defaults, validation and the documentation come from one place.
 */
record Key(String name, Kind kind, Object defaultValue, long min, long max, String doc) {
    enum Kind { INT, BOOL, STRING }

    static Key integer(String name, long def, long min, long max, String doc) {
        return new Key(name, Kind.INT, def, min, max, doc);
    }

    static Key bool(String name, boolean def, String doc) {
        return new Key(name, Kind.BOOL, def, 0, 0, doc);
    }

    static Key string(String name, String def, String doc) {
        return new Key(name, Kind.STRING, def, 0, 0, doc);
    }

    /** What is allowed, in the words of an error message. */
    String allowed() {
        return switch (kind) {
            case INT -> "an integer " + min + ".." + max;
            case BOOL -> "a boolean (true or false)";
            case STRING -> "a non-empty string";
        };
    }

    static Key find(List<Key> keys, String name) {
        for (Key k : keys) if (k.name.equals(name)) return k;
        return null;
    }
}
