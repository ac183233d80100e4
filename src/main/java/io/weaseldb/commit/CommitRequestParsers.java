package io.weaseldb.commit;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Chooses the commit body parser by the request's media type. Registration happens at startup;
 * lookups are lock-free, allocation-free and safe from any thread.
 */
public final class CommitRequestParsers {
    private record Entry(String mediaType, Supplier<? extends CommitRequestParser> factory) { }

    private volatile Entry[] entries = new Entry[0];

    /** A registry with {@code application/json} registered. */
    public static CommitRequestParsers standard(CommitLimits limits) {
        Objects.requireNonNull(limits, "limits");
        return new CommitRequestParsers().register("application/json", () -> new JsonCommitRequestParser(limits));
    }

    /**
     * Registers a parser factory for a media type ({@code type/subtype}, matched case-insensitively).
     *
     * @throws IllegalArgumentException if the media type is malformed
     * @throws IllegalStateException    if the media type is already registered
     */
    public synchronized CommitRequestParsers register(String mediaType, Supplier<? extends CommitRequestParser> factory) {
        Objects.requireNonNull(factory, "factory");
        String normalized = mediaType.trim().toLowerCase(Locale.ROOT);
        int slash = normalized.indexOf('/');
        if (slash <= 0 || slash == normalized.length() - 1 || normalized.indexOf('/', slash + 1) >= 0
                || normalized.chars().anyMatch(c -> c <= ' ' || c == ';' || c >= 0x7F)) {
            throw new IllegalArgumentException("not a media type (type/subtype): \"" + mediaType + "\"");
        }
        if (find(normalized, 0, normalized.length()) != null) {
            throw new IllegalStateException("a parser is already registered for " + normalized);
        }
        Entry[] old = entries;
        Entry[] grown = java.util.Arrays.copyOf(old, old.length + 1);
        grown[old.length] = new Entry(normalized, factory);
        entries = grown;
        return this;
    }

    /**
     * A new parser for a {@code Content-Type} header value (parameters such as {@code ; charset=utf-8} are
     * ignored), or null when the header is absent or its media type unregistered: the caller answers 415.
     */
    public CommitRequestParser lookup(String contentType) {
        Supplier<? extends CommitRequestParser> factory = factoryFor(contentType);
        return factory == null ? null : factory.get();
    }

    /** The factory {@link #lookup} would use, or null. */
    public Supplier<? extends CommitRequestParser> factoryFor(String contentType) {
        if (contentType == null) {
            return null;
        }
        int start = 0;
        int end = contentType.indexOf(';');
        if (end < 0) {
            end = contentType.length();
        }
        while (start < end && isWhitespace(contentType.charAt(start))) {
            start++;
        }
        while (end > start && isWhitespace(contentType.charAt(end - 1))) {
            end--;
        }
        Entry e = find(contentType, start, end);
        return e == null ? null : e.factory;
    }

    /** The registered media types, in registration order. */
    public List<String> mediaTypes() {
        List<String> types = new ArrayList<>();
        for (Entry e : entries) {
            types.add(e.mediaType);
        }
        return types;
    }

    private Entry find(String s, int start, int end) {
        int length = end - start;
        for (Entry e : entries) {
            if (e.mediaType.length() == length && e.mediaType.regionMatches(true, 0, s, start, length)) {
                return e;
            }
        }
        return null;
    }

    private static boolean isWhitespace(char c) {
        return c == ' ' || c == '\t';
    }
}
