package io.weaseldb.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.weaseldb.http.ErrorBody;
import io.weaseldb.http.Exchange;
import io.weaseldb.http.HttpException;
import io.weaseldb.http.Method;
import io.weaseldb.http.Route;
import io.weaseldb.http.Router;
import io.weaseldb.storage.RetentionPolicyStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Retention policies (API.md "Retention policies"): {@code PUT/GET/DELETE /v1/retention/<policy_id>} and
 * {@code GET /v1/retention/}. Rare admin calls: they run inline on the connection's thread; a PUT or DELETE
 * waits for the store's fsync before answering.
 *
 * <p>The policy id is the raw path segment (not percent-decoded: {@code %} is not an allowed character anyway);
 * anything but 1–128 chars of {@code [A-Za-z0-9._-]}, including a {@code /}, is 400. The PUT body is
 * {@code {"min_version": N}} with N an integer ≥ 0; unknown or duplicate fields, other types and malformed JSON
 * are 400 naming the problem; a Content-Type other than {@code application/json} is 415 (absent is accepted).
 */
public final class RetentionHandlers {
    /** Prefix of the per-policy routes; also the exact path of the list. */
    public static final String PREFIX = "/v1/retention/";
    public static final String POLICY_ROUTE = "/v1/retention/{policy_id}";

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final String JSON_TYPE = "application/json";

    private final RetentionPolicyStore store;

    private RetentionHandlers(RetentionPolicyStore store) {
        this.store = store;
    }

    /**
     * The routes, all inline: PUT, GET and DELETE named {@value #POLICY_ROUTE} (register with
     * {@code router.prefix(PREFIX, r)}) and GET named {@value #PREFIX} (register with {@code router.exact(PREFIX, r)}).
     * {@link #register} does exactly that.
     */
    public static List<Route> routes(RetentionPolicyStore store) {
        RetentionHandlers h = new RetentionHandlers(store);
        return List.of(
            new Route(POLICY_ROUTE, Method.PUT, null, h::put),
            new Route(POLICY_ROUTE, Method.GET, null, h::get),
            new Route(POLICY_ROUTE, Method.DELETE, null, h::delete),
            new Route(PREFIX, Method.GET, null, h::list));
    }

    /** Registers {@link #routes}: the per-policy ones as a prefix, the list as an exact path. */
    public static void register(Router router, RetentionPolicyStore store) {
        for (Route r : routes(store)) {
            if (r.name().equals(PREFIX)) router.exact(PREFIX, r);
            else router.prefix(PREFIX, r);
        }
    }

    // ------------------------------------------------------------------ handlers

    private void put(Exchange ex) throws IOException, HttpException {
        String id = policyId(ex);
        if (id == null) return;
        String contentType = ex.request().header("Content-Type");
        if (contentType != null && !isJson(contentType)) {
            ex.respond(415, JSON_TYPE, ErrorBody.json("unsupported_media_type",
                "Content-Type must be application/json, found \"" + contentType + "\""));
            return;
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream(64);
        ex.readBody(body::write);
        long minVersion;
        try {
            minVersion = parseMinVersion(body.toByteArray());
        } catch (BadBody e) {
            ex.respond(400, JSON_TYPE, ErrorBody.json("bad_request", e.getMessage()));
            return;
        }
        boolean created;
        try {
            created = store.put(id, minVersion);
        } catch (IOException e) {
            storeFailed(ex, e);
            return;
        } catch (RetentionPolicyStore.TooManyPoliciesException e) {
            ex.respond(409, JSON_TYPE, ErrorBody.json("too_many_policies", e.getMessage()));
            return;
        }
        ex.respond(created ? 201 : 200, JSON_TYPE, policyJson(id, minVersion));
    }

    private void get(Exchange ex) throws IOException {
        String id = policyId(ex);
        if (id == null) return;
        Optional<Long> v = store.get(id);
        if (v.isEmpty()) {
            notFound(ex, id);
            return;
        }
        ex.respond(200, JSON_TYPE, policyJson(id, v.get()));
    }

    private void delete(Exchange ex) throws IOException {
        String id = policyId(ex);
        if (id == null) return;
        boolean deleted;
        try {
            deleted = store.delete(id);
        } catch (IOException e) {
            storeFailed(ex, e);
            return;
        }
        if (!deleted) {
            notFound(ex, id);
            return;
        }
        ex.respond(204, null, new byte[0]);
    }

    private void list(Exchange ex) throws IOException {
        StringBuilder sb = new StringBuilder("{\"policies\":[");
        boolean first = true;
        for (Map.Entry<String, Long> e : store.all().entrySet()) { // sorted by id
            if (!first) sb.append(',');
            first = false;
            appendPolicy(sb, e.getKey(), e.getValue());
        }
        sb.append("]}");
        ex.respond(200, JSON_TYPE, sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------ helpers

    /** The raw path segment after the prefix if it is a valid id; otherwise answers 400 and returns null. */
    private static String policyId(Exchange ex) throws IOException {
        String path = ex.request().path();
        String id = path.substring(Math.min(PREFIX.length(), path.length()));
        if (RetentionPolicyStore.isValidId(id)) return id;
        ex.respond(400, JSON_TYPE, ErrorBody.json("bad_request",
            "policy_id: must be 1-128 characters of [A-Za-z0-9._-], found \"" + id + "\""));
        return null;
    }

    private static boolean isJson(String contentType) {
        int semi = contentType.indexOf(';');
        String media = (semi < 0 ? contentType : contentType.substring(0, semi)).strip();
        return media.toLowerCase(Locale.ROOT).equals(JSON_TYPE);
    }

    /** A PUT body that is not {@code {"min_version": N}}; the message names the problem. */
    static final class BadBody extends Exception {
        BadBody(String message) {
            super(message, null, false, false);
        }
    }

    /** Parses {@code {"min_version": N}} (N an integer ≥ 0, nothing else) with jackson-core's streaming parser. */
    static long parseMinVersion(byte[] body) throws BadBody {
        try (JsonParser p = JSON.createParser(body)) {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_OBJECT) {
                throw new BadBody("body: expected a JSON object {\"min_version\": N} but found "
                    + (t == null ? "an empty body" : describe(t)));
            }
            long min = -1;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (!name.equals("min_version")) {
                    throw new BadBody("unknown field \"" + name + "\" (the only field is min_version)");
                }
                if (value != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        || p.getLongValue() < 0) {
                    throw new BadBody("min_version: expected an integer ≥ 0 (a version) but found "
                        + (value.isNumeric() ? p.getText() : describe(value)));
                }
                min = p.getLongValue();
            }
            if (t != JsonToken.END_OBJECT) throw new BadBody("body: malformed JSON object"); // unreachable: the parser throws first
            if (p.nextToken() != null) {
                throw new BadBody("body: unexpected content after the JSON object at column " + p.currentLocation().getColumnNr());
            }
            if (min < 0) throw new BadBody("min_version: required field is missing");
            return min;
        } catch (JsonProcessingException e) {
            throw new BadBody("body: " + io.weaseldb.commit.JsonSyntax.describe(e));
        } catch (IOException e) {
            throw new BadBody("body: " + e.getMessage()); // reading a byte array does not fail otherwise
        }
    }

    private static String describe(JsonToken t) {
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_FLOAT -> "a fractional number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.name();
        };
    }

    private static byte[] policyJson(String id, long minVersion) {
        StringBuilder sb = new StringBuilder(48 + id.length());
        appendPolicy(sb, id, minVersion);
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void appendPolicy(StringBuilder sb, String id, long minVersion) {
        sb.append("{\"policy_id\":");
        ErrorBody.quote(sb, id);
        sb.append(",\"min_version\":").append(minVersion).append('}');
    }

    private static void notFound(Exchange ex, String id) throws IOException {
        ex.respond(404, JSON_TYPE, ErrorBody.json("not_found", "no retention policy \"" + id + "\""));
    }

    /**
     * The policy file could not be replaced (a full disk, most likely): the change is not made, in memory either, and
     * the store keeps working, so a retry once there is room succeeds. A storage condition, not a server bug: 503.
     */
    private static void storeFailed(Exchange ex, IOException e) throws IOException {
        byte[] body = ErrorBody.json("storage_unavailable", "could not save retention policies, nothing was changed: "
            + e.getMessage());
        ex.respond(503, JSON_TYPE, body, 0, body.length, "Retry-After", "1");
    }
}
