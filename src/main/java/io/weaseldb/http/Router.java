package io.weaseldb.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Path router: exact paths first, then the longest registered prefix. Matching compares bytes in the
 * read buffer, so routing a request allocates nothing. A request no registered route takes gets one of the
 * router's own answers ({@link Unmatched}): every request has a route. Built at startup, read-only afterwards.
 */
public final class Router {
    private static final byte[] ASTERISK = {'*'};

    private static final class Entry {
        final byte[] path;
        final boolean prefix;
        final Map<Method, Route> byMethod = new EnumMap<>(Method.class);
        Route notAllowed;  // 405, and OPTIONS: what this path allows

        Entry(byte[] path, boolean prefix) {
            this.path = path;
            this.prefix = prefix;
        }
    }

    private final List<Entry> exact = new ArrayList<>();
    private final List<Entry> prefixes = new ArrayList<>(); // longest first

    /** Registers {@code route} for exactly {@code path}. */
    public Router exact(String path, Route route) {
        add(exact, path, false, route);
        return this;
    }

    /** Registers {@code route} for every path starting with {@code prefix} (e.g. {@code /v1/retention/}). */
    public Router prefix(String prefix, Route route) {
        add(prefixes, prefix, true, route);
        prefixes.sort((a, b) -> b.path.length - a.path.length);
        return this;
    }

    private static void add(List<Entry> list, String path, boolean prefix, Route route) {
        byte[] p = path.getBytes(StandardCharsets.US_ASCII);
        Entry e = null;
        for (Entry x : list) if (java.util.Arrays.equals(x.path, p)) e = x;
        if (e == null) list.add(e = new Entry(p, prefix));
        if (e.byMethod.put(route.method(), route) != null) {
            throw new IllegalStateException("duplicate route " + route.method() + " " + path);
        }
        if (route.method() == Method.GET && !e.byMethod.containsKey(Method.HEAD)) {
            // HEAD is answered by the GET handler; the writer drops the body.
            e.byMethod.put(Method.HEAD, route);
        }
        StringJoiner allow = new StringJoiner(", ");
        for (Method m : e.byMethod.keySet()) allow.add(m.name());
        allow.add(Method.OPTIONS.name());  // answered for every known path, from this list
        e.notAllowed = Unmatched.notAllowed(allow.toString());
    }

    /**
     * Adds every route of {@code other} whose method and path this router does not have yet (this router's
     * routes win). Lets tests put their own wiring in front of the built-in routes.
     */
    public Router addAbsent(Router other) {
        addAbsent(other.exact, exact, false);
        addAbsent(other.prefixes, prefixes, true);
        prefixes.sort((a, b) -> b.path.length - a.path.length);
        return this;
    }

    private static void addAbsent(List<Entry> from, List<Entry> to, boolean prefix) {
        for (Entry e : from) {
            for (Map.Entry<Method, Route> m : e.byMethod.entrySet()) {
                Route r = m.getValue();
                // Skip HEAD entries that only fall back to GET: adding the GET route adds them again.
                if (m.getKey() == r.method() && !has(to, e.path, r.method())) add(to, ascii(e.path), prefix, r);
            }
        }
    }

    private static boolean has(List<Entry> list, byte[] path, Method m) {
        for (Entry x : list) if (java.util.Arrays.equals(x.path, path)) return x.byMethod.containsKey(m);
        return false;
    }

    private static String ascii(byte[] p) {
        return new String(p, StandardCharsets.US_ASCII);
    }

    /**
     * The route for the request: the registered one; for a path registered with other methods, its 405 (and its
     * OPTIONS answer); else 200 for {@code OPTIONS *}, 501 for CONNECT, 404 for the rest. Never null.
     */
    public Route route(RequestHead head) {
        Method m = head.method();
        // Indexed loops: a for-each's iterator was an allocation per request (not scalar-replaced here).
        for (int i = 0, n = exact.size(); i < n; i++) {
            Entry e = exact.get(i);
            if (head.pathEquals(e.path)) return pick(e, m);
        }
        for (int i = 0, n = prefixes.size(); i < n; i++) {
            Entry e = prefixes.get(i);
            if (head.pathStartsWith(e.path)) return pick(e, m);
        }
        if (m == Method.OPTIONS && head.pathEquals(ASTERISK)) return Unmatched.SERVER_OPTIONS; // only "*" is that path
        if (m == Method.CONNECT) return Unmatched.CONNECT;
        return Unmatched.NOT_FOUND;
    }

    private static Route pick(Entry e, Method m) {
        Route r = e.byMethod.get(m);
        return r != null ? r : e.notAllowed;
    }

    /** Every registered route, for metrics pre-registration and docs (not the router's own answers). */
    public List<Route> routes() {
        List<Route> all = new ArrayList<>();
        for (Entry e : exact) all.addAll(e.byMethod.values());
        for (Entry e : prefixes) all.addAll(e.byMethod.values());
        return all;
    }
}
