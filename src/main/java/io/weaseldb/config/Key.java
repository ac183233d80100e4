package io.weaseldb.config;

import java.util.List;

/**
 * One configuration key: its dotted name within a table, type, allowed range and default.
 * The schema is a list of these, so defaults, validation and the documentation come from one place.
 */
record Key(String name, Kind kind, Object defaultValue, long min, long max, List<String> choices, String doc) {
    enum Kind { INT, BOOL, STRING, CHOICE }

    static Key integer(String name, long def, long min, long max, String doc) {
        return new Key(name, Kind.INT, def, min, max, List.of(), doc);
    }

    static Key bool(String name, boolean def, String doc) {
        return new Key(name, Kind.BOOL, def, 0, 0, List.of(), doc);
    }

    static Key string(String name, String def, String doc) {
        return new Key(name, Kind.STRING, def, 0, 0, List.of(), doc);
    }

    /** A string that must be one of {@code choices} (the first is not implied: give the default). */
    static Key choice(String name, String def, List<String> choices, String doc) {
        if (!choices.contains(def)) throw new IllegalArgumentException(name + ": default " + def + " not among " + choices);
        return new Key(name, Kind.CHOICE, def, 0, 0, List.copyOf(choices), doc);
    }

    /** What is allowed, in the words of an error message. */
    String allowed() {
        return switch (kind) {
            case INT -> "an integer " + min + ".." + max;
            case BOOL -> "a boolean (true or false)";
            case STRING -> "a non-empty string";
            case CHOICE -> "one of " + String.join(", ", choices.stream().map(c -> "\"" + c + "\"").toList());
        };
    }

    static Key find(List<Key> keys, String name) {
        for (Key k : keys) if (k.name.equals(name)) return k;
        return null;
    }
}
