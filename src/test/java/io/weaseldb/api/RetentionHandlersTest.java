package io.weaseldb.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weaseldb.server.RawClient;
import io.weaseldb.server.TestServer;
import io.weaseldb.storage.RetentionPolicyStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** PUT/GET/DELETE /v1/retention/{policy_id} and GET /v1/retention/ over real HTTP. */
class RetentionHandlersTest {
    private static RawClient.Response call(int port, String method, String path, String contentType, String body) throws Exception {
        try (RawClient c = new RawClient(port)) {
            StringBuilder req = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
            byte[] b = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
            if (contentType != null) req.append("Content-Type: ").append(contentType).append("\r\n");
            if (b != null) req.append("Content-Length: ").append(b.length).append("\r\n");
            req.append("\r\n");
            c.send(req.toString());
            if (b != null) c.send(b);
            return c.read();
        }
    }

    private static RawClient.Response put(int port, String id, String body) throws Exception {
        return call(port, "PUT", "/v1/retention/" + id, "application/json", body);
    }

    private static void assertBadRequest(RawClient.Response r, String mentions) {
        assertEquals(400, r.status(), r.bodyText());
        assertTrue(r.bodyText().startsWith("{\"error\":\"bad_request\",\"message\":") && r.bodyText().contains(mentions),
            "expected a bad_request naming '" + mentions + "': " + r.bodyText());
        // The JSON library's internals (its settings, Java class names, source dumps) are not the client's business.
        assertFalse(r.bodyText().contains("Feature") || r.bodyText().contains("`") || r.bodyText().contains("source:"),
            r.bodyText());
    }

    private static TestServer serve(RetentionPolicyStore store) {
        return TestServer.start("", "", router -> RetentionHandlers.register(router, store));
    }

    @Test
    void crudPersistsAcrossAReopen() throws Exception {
        Path dir = Files.createTempDirectory("weaseldb-retention");
        try (TestServer srv = serve(RetentionPolicyStore.open(dir))) {
            int port = srv.port;
            RawClient.Response r = put(port, "zeta", "{\"min_version\": 7}");
            assertEquals(201, r.status());
            assertEquals("application/json", r.header("Content-Type"));
            assertEquals("{\"policy_id\":\"zeta\",\"min_version\":7}", r.bodyText());
            r = put(port, "zeta", "{\"min_version\":9}");
            assertEquals(200, r.status(), "replaced");
            assertEquals("{\"policy_id\":\"zeta\",\"min_version\":9}", r.bodyText());
            assertEquals(201, call(port, "PUT", "/v1/retention/a.b_c-1", "application/json; charset=utf-8", " { \"min_version\" : 0 } ").status());
            assertEquals(201, put(port, "M", "{\"min_version\":42}").status());

            r = call(port, "GET", "/v1/retention/zeta", null, null);
            assertEquals(200, r.status());
            assertEquals("{\"policy_id\":\"zeta\",\"min_version\":9}", r.bodyText());
            r = call(port, "GET", "/v1/retention/", null, null);
            assertEquals(200, r.status());
            assertEquals("{\"policies\":[{\"policy_id\":\"M\",\"min_version\":42},{\"policy_id\":\"a.b_c-1\",\"min_version\":0},"
                + "{\"policy_id\":\"zeta\",\"min_version\":9}]}", r.bodyText());

            r = call(port, "DELETE", "/v1/retention/a.b_c-1", null, null);
            assertEquals(204, r.status());
            assertEquals(0, r.body().length);
            r = call(port, "DELETE", "/v1/retention/a.b_c-1", null, null);
            assertEquals(404, r.status());
            assertEquals("{\"error\":\"not_found\",\"message\":\"no retention policy \\\"a.b_c-1\\\"\"}", r.bodyText());
            r = call(port, "GET", "/v1/retention/nope", null, null);
            assertEquals(404, r.status());
            assertEquals("{\"error\":\"not_found\",\"message\":\"no retention policy \\\"nope\\\"\"}", r.bodyText());
        }
        // A new store over the same directory (a restart) sees the same policies.
        try (TestServer srv = serve(RetentionPolicyStore.open(dir))) {
            RawClient.Response r = call(srv.port, "GET", "/v1/retention/", null, null);
            assertEquals("{\"policies\":[{\"policy_id\":\"M\",\"min_version\":42},{\"policy_id\":\"zeta\",\"min_version\":9}]}", r.bodyText());
        }
    }

    /**
     * The policy file cannot be replaced (here a non-empty directory in its temporary file's place; a full disk in
     * practice): 503 storage_unavailable with Retry-After, nothing changed, and the store works again once it can
     * write.
     */
    @Test
    void aPolicyFileThatCannotBeWrittenIsA503AndChangesNothing() throws Exception {
        Path dir = Files.createTempDirectory("weaseldb-retention");
        RetentionPolicyStore store = RetentionPolicyStore.open(dir);
        try (TestServer srv = serve(store)) {
            int port = srv.port;
            assertEquals(201, put(port, "kept", "{\"min_version\":3}").status());
            Path blocked = Files.createDirectory(dir.resolve("retention-policies.tmp"));
            Files.writeString(blocked.resolve("keep"), "so that the failed write's clean-up cannot remove the directory");
            for (RawClient.Response r : new RawClient.Response[] {put(port, "new", "{\"min_version\":5}"),
                    put(port, "kept", "{\"min_version\":4}"), call(port, "DELETE", "/v1/retention/kept", null, null)}) {
                assertEquals(503, r.status(), r.bodyText());
                assertEquals("1", r.header("Retry-After"));
                assertTrue(r.bodyText().startsWith("{\"error\":\"storage_unavailable\",\"message\":\"could not save retention"
                    + " policies, nothing was changed: "), r.bodyText());
            }
            assertEquals("{\"policies\":[{\"policy_id\":\"kept\",\"min_version\":3}]}",
                call(port, "GET", "/v1/retention/", null, null).bodyText());
            Files.delete(blocked.resolve("keep"));
            Files.delete(blocked);
            assertEquals(201, put(port, "new", "{\"min_version\":5}").status());
        }
        assertEquals(2, RetentionPolicyStore.open(dir).all().size());
    }

    @Test
    void validationErrors() throws Exception {
        Path dir = Files.createTempDirectory("weaseldb-retention");
        RetentionPolicyStore store = RetentionPolicyStore.open(dir);
        try (TestServer srv = serve(store)) {
            int port = srv.port;
            String good = "{\"min_version\":1}";
            assertBadRequest(put(port, "x".repeat(129), good), "policy_id");
            assertBadRequest(put(port, "a/b", good), "policy_id");
            assertBadRequest(put(port, "bad%20id", good), "policy_id");
            assertBadRequest(put(port, "bad~id", good), "policy_id");
            assertBadRequest(call(port, "GET", "/v1/retention/a/b", null, null), "policy_id");
            assertBadRequest(call(port, "DELETE", "/v1/retention/a*", null, null), "policy_id");
            assertEquals(201, put(port, "x".repeat(128), good).status(), "128 characters is the maximum");

            assertBadRequest(put(port, "p", "{\"min_version\":1,\"extra\":2}"), "unknown field \\\"extra\\\"");
            assertBadRequest(put(port, "p", "{\"min_version\":-1}"), "min_version");
            assertBadRequest(put(port, "p", "{\"min_version\":1.5}"), "min_version");
            assertBadRequest(put(port, "p", "{\"min_version\":\"5\"}"), "min_version");
            assertBadRequest(put(port, "p", "{\"min_version\":null}"), "min_version");
            assertBadRequest(put(port, "p", "{\"min_version\":99999999999999999999}"), "min_version");
            assertBadRequest(put(port, "p", "{}"), "min_version: required");
            assertBadRequest(put(port, "p", "{\"min_version\":1,\"min_version\":2}"), "invalid JSON");
            assertBadRequest(put(port, "p", "{\"min_version\":1"), "invalid JSON");
            assertBadRequest(put(port, "p", "{\"min_version\":1} x"), "invalid JSON");
            assertBadRequest(put(port, "p", "{\"min_version\":1} {}"), "after the JSON object");
            assertBadRequest(put(port, "p", "[1]"), "expected a JSON object");
            assertBadRequest(put(port, "p", ""), "empty body");
            RawClient.Response r = call(port, "PUT", "/v1/retention/p", "text/plain", good);
            assertEquals(415, r.status());
            assertTrue(r.bodyText().contains("unsupported_media_type"), r.bodyText());
            assertEquals(201, call(port, "PUT", "/v1/retention/p", null, good).status(), "no Content-Type is accepted");

            r = call(port, "PUT", "/v1/retention/", "application/json", good);
            assertEquals(405, r.status(), "the list path only answers GET");
            assertEquals(405, call(port, "POST", "/v1/retention/p", "application/json", good).status());
            assertEquals(2, store.all().size(), "only the valid PUTs were stored");
        }
    }
}
