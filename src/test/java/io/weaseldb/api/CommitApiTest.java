package io.weaseldb.api;

import static io.weaseldb.api.Api.b64;
import static io.weaseldb.api.Api.newId;
import static io.weaseldb.api.Api.ops;
import static io.weaseldb.api.Api.pointRead;
import static io.weaseldb.api.Api.rangeDelete;
import static io.weaseldb.api.Api.rangeRead;
import static io.weaseldb.api.Api.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weaseldb.server.RawClient;
import io.weaseldb.server.TestServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API.md contract of {@code POST /v1/commit}, {@code GET /v1/status} and {@code GET /v1/version},
 * through real HTTP against an in-process server. Every test gets a fresh database.
 */
class CommitApiTest {
    private static final Pattern UUID_SHAPE =
        Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private TestServer srv;
    private Api api;

    @BeforeEach
    void start() {
        srv = TestServer.start();
        api = new Api(srv.port);
    }

    @AfterEach
    void stop() {
        if (srv != null) srv.close();
    }

    private Api.Reply commitOk(String body) {
        Api.Reply r = api.commit(body);
        assertEquals(200, r.status(), r.body());
        return r;
    }

    private static void assertBadRequest(Api.Reply r, String... mentioned) {
        assertEquals(400, r.status(), r.body());
        assertEquals("bad_request", r.str("error"), r.body());
        for (String m : mentioned) {
            assertTrue(r.str("message").contains(m), "message should name " + m + ": " + r.body());
        }
    }

    // ------------------------------------------------------------------ commit: success

    @Test
    void committedBodyHasVersionRequestIdAndLeaderAndVersionsStartAtOneAndIncrement() {
        Api.Reply v0 = api.version();
        assertEquals(200, v0.status());
        assertEquals(Set.of("version", "leader_id"), v0.json().keySet(), v0.body());
        assertEquals(0, v0.num("version"), "a fresh database is at version 0");
        String leader = v0.str("leader_id");
        assertFalse(leader.isEmpty());

        for (int i = 1; i <= 5; i++) {
            String id = newId("shape-" + i);
            Api.Reply r = commitOk(Api.withId(id, write("k" + i, "v" + i)));
            assertTrue(r.header("Content-Type").startsWith("application/json"), r.header("Content-Type"));
            assertNotNull(r.header("Date"));
            assertEquals(List.of("status", "version", "request_id", "leader_id"), List.copyOf(r.json().keySet()), r.body());
            assertEquals("committed", r.str("status"));
            assertEquals(i, r.num("version"), "version " + i + " is the " + i + "th commit");
            assertEquals(id, r.str("request_id"));
            assertEquals(leader, r.str("leader_id"));
            assertEquals(i, api.currentVersion());
        }
        // An empty transaction is a transaction too.
        assertEquals(6, commitOk("{}").num("version"));
    }

    @Test
    void aLargeCommitIsParsedWholeAcrossManyReadsAndYields() {
        // ~700 KB of operations: parsed in many buffers, with the connection thread yielding every 64 KiB.
        String[] ops = new String[3000];
        for (int i = 0; i < ops.length; i++) ops[i] = write("big/" + i, "v".repeat(150) + i);
        Api.Reply r = commitOk(Api.ops(ops));
        long version = r.num("version");
        Api.Reply after = commitOk(Api.ops(write("after-big", "x")));
        assertEquals(version + 1, after.num("version"));
    }

    @Test
    void requestIdIsGeneratedUuidWhenAbsent() {
        Api.Reply a = commitOk(ops(write("a", "1")));
        Api.Reply b = commitOk("{\"operations\":[],\"request_id\":null}");
        String ida = a.str("request_id");
        String idb = b.str("request_id");
        assertTrue(UUID_SHAPE.matcher(ida).matches(), ida);
        assertEquals(ida, UUID.fromString(ida).toString());
        assertNotEquals(ida, idb);
        Api.Reply s = api.status(ida);
        assertEquals("committed", s.str("status"), s.body());
        assertEquals(a.num("version"), s.num("version"));
    }

    @Test
    void retryOfACommittedRequestIdReturnsTheSameBodyAndIsNotAppliedTwice() {
        String id = newId("retry");
        String body = "{\"request_id\":\"" + id + "\",\"operations\":[" + write("retried", "x") + "]}";
        Api.Reply first = commitOk(body);
        long v = first.num("version");
        Api.Reply other = commitOk(ops(write("other", "y")));
        assertEquals(v + 1, other.num("version"));

        Api.Reply again = api.commit(body);
        assertEquals(200, again.status());
        assertEquals(first.body(), again.body(), "the same 200 body, byte for byte");
        assertEquals(v + 1, api.currentVersion(), "the retry took no version");

        // Not applied twice: a read of "retried" at v+1 does not conflict (a re-applied write would be at v+2).
        Api.Reply check = commitOk("{\"read_version\":" + (v + 1) + ",\"preconditions\":[" + pointRead("retried", null) + "]}");
        assertEquals(v + 2, check.num("version"));

        // The id wins over the body: a retry whose preconditions would now fail is still the original commit.
        Api.Reply changed = api.commit("{\"request_id\":\"" + id + "\",\"preconditions\":["
            + pointRead("other", 0L) + "],\"operations\":[" + write("retried", "z") + "]}");
        assertEquals(first.body(), changed.body());
        assertEquals(v + 2, api.currentVersion());
    }

    @Test
    void leaderIdMismatchIs409WithTheCurrentLeaderAndAMatchCommits() {
        String leader = api.leaderId();
        commitOk(ops(write("a", "1")));
        Api.Reply r = api.commit("{\"leader_id\":\"not-" + leader + "\",\"operations\":[" + write("a", "2") + "]}");
        assertEquals(409, r.status(), r.body());
        assertEquals(Map.of("status", "not_committed", "reason", "leader_mismatch", "leader_id", leader), r.json());
        assertEquals(1, api.currentVersion(), "nothing committed");

        Api.Reply ok = commitOk("{\"leader_id\":\"" + leader + "\",\"operations\":[" + write("a", "3") + "]}");
        assertEquals(2, ok.num("version"));
        assertEquals(leader, ok.str("leader_id"));
    }

    // ------------------------------------------------------------------ commit: not committed

    @Test
    void conflictIs409WithTheIndexesOfTheFailedPreconditions() {
        commitOk(ops(write("a", "1")));                       // v1
        commitOk(ops(write("c", "1")));                       // v2
        String id = newId("conflict");
        Api.Reply r = api.commit("{\"request_id\":\"" + id + "\",\"read_version\":1,\"preconditions\":["
            + pointRead("c", null) + ","          // 0: c written at 2 > 1 → fails
            + pointRead("b", null) + ","          // 1: never written
            + rangeRead("a", "b", 0L) + ","       // 2: a written at 1 > 0 → fails
            + pointRead("c", 2L)                  // 3: at 2, nothing newer
            + "],\"operations\":[" + write("z", "1") + "]}");
        assertEquals(409, r.status(), r.body());
        assertEquals(List.of("status", "reason", "request_id", "conflicts"), List.copyOf(r.json().keySet()), r.body());
        assertEquals("not_committed", r.str("status"));
        assertEquals("conflict", r.str("reason"));
        assertEquals(id, r.str("request_id"));
        assertEquals(List.of(0L, 2L), r.json().get("conflicts"));
        assertEquals(2, api.currentVersion(), "an aborted transaction takes no version");
        assertEquals("not_committed", api.commit("{\"read_version\":1,\"preconditions\":[" + pointRead("c", null) + "]}").str("status"));

        // The id did not commit, so a retry with a fresh read version commits under it.
        Api.Reply retry = commitOk("{\"request_id\":\"" + id + "\",\"read_version\":2,\"preconditions\":["
            + pointRead("c", null) + "],\"operations\":[" + write("z", "1") + "]}");
        assertEquals(3, retry.num("version"));
        assertEquals(id, retry.str("request_id"));
    }

    @Test
    void readVersionOlderThanTheConflictWindowIs409WithOldestVersion() {
        srv.close();
        srv = TestServer.start("", "[commit]\nconflict_window_versions = 5\n");
        api = new Api(srv.port);
        for (int i = 0; i < 10; i++) commitOk(ops(write("k" + i, "v")));
        Api.Reply r = api.commit("{\"read_version\":1,\"preconditions\":[" + pointRead("never", null) + "]}");
        assertEquals(409, r.status(), r.body());
        assertEquals(List.of("status", "reason", "oldest_version"), List.copyOf(r.json().keySet()), r.body());
        assertEquals("not_committed", r.str("status"));
        assertEquals("read_version_too_old", r.str("reason"));
        long oldest = r.num("oldest_version");
        assertTrue(oldest > 1 && oldest <= 10 && oldest >= 10 - 5, "oldest_version " + oldest);
        assertEquals(10, api.currentVersion());

        // The boundary: oldest_version itself is checkable, one less is not (also via a precondition's own version).
        Api.Reply before = api.commit(Api.reads(pointRead("never", oldest - 1)));
        assertEquals(409, before.status(), before.body());
        assertEquals("read_version_too_old", before.str("reason"));
        assertEquals(200, api.commit(Api.reads(pointRead("never", oldest))).status());
    }

    @Test
    void preconditionVersionNewerThanTheLatestCommitIs400() {
        commitOk(ops(write("a", "1")));
        assertBadRequest(api.commit("{\"read_version\":2,\"preconditions\":[" + pointRead("a", null) + "]}"), "read_version");
        assertBadRequest(api.commit(Api.reads(pointRead("a", 1L), rangeRead("a", "b", 5L))), "preconditions[1].version");
        assertEquals(1, api.currentVersion());
        assertEquals(200, api.commit("{\"read_version\":1,\"preconditions\":[" + pointRead("a", null) + "]}").status());
    }

    @Test
    void preconditionWithoutVersionAndWithoutReadVersionIs400() {
        assertBadRequest(api.commit(Api.reads(pointRead("a", 0L), rangeRead("a", "b", null))), "preconditions[1]");
        assertBadRequest(api.commit("{\"read_version\":null,\"preconditions\":[" + pointRead("a", null) + "]}"), "preconditions[0]");
        assertEquals(0, api.currentVersion());
    }

    // ------------------------------------------------------------------ commit: malformed

    @Test
    void unknownFieldsAndTypesAndWrongJsonTypesAre400NamingTheField() {
        assertBadRequest(api.commit("{\"operations\":[],\"colour\":\"blue\"}"), "colour");
        assertBadRequest(api.commit(Api.reads("{\"type\":\"point_write\",\"key\":\"YQ==\",\"version\":0}")),
            "preconditions[0].type", "point_write");
        assertBadRequest(api.commit(ops(write("a", "1"), "{\"type\":\"upsert\",\"key\":\"YQ==\"}")),
            "operations[1].type", "upsert");
        assertBadRequest(api.commit(ops(pointRead("a", 0L))), "operations[0].");  // a precondition type among operations
        assertBadRequest(api.commit(ops("{\"type\":\"write\",\"key\":\"YQ==\",\"value\":\"YQ==\",\"ttl\":5}")),
            "operations[0].ttl");
        assertBadRequest(api.commit("{\"read_version\":\"12\"}"), "read_version");
        assertBadRequest(api.commit("{\"read_version\":1.5}"), "read_version");
        assertBadRequest(api.commit("{\"request_id\":12345678901234567890123}"), "request_id");
        assertBadRequest(api.commit("{\"operations\":{}}"), "operations");
        assertBadRequest(api.commit("{\"preconditions\":\"none\"}"), "preconditions");
        assertBadRequest(api.commit(ops("{\"type\":\"write\",\"key\":\"YQ==\"}")), "operations[0].value");
        assertBadRequest(api.commit(ops("{\"type\":\"delete\",\"key\":\"YQ==\",\"value\":\"YQ==\"}")), "operations[0].value");
        assertBadRequest(api.commit("[]"));
        assertBadRequest(api.commit("{\"operations\":["));
        assertBadRequest(api.commit(""));
        assertBadRequest(api.commit("{} {}"));
        assertEquals(0, api.currentVersion(), "nothing committed");
    }

    @Test
    void requestIdShorterThanTheMinimumIs400() {
        String nineteen = "a".repeat(19);
        assertBadRequest(api.commit(Api.withId(nineteen, write("a", "1"))), "request_id");
        assertEquals(0, api.currentVersion());
        Api.Reply ok = commitOk(Api.withId("b".repeat(20), write("a", "1")));
        assertEquals("b".repeat(20), ok.str("request_id"));
    }

    @Test
    void invalidBase64Is400NamingTheField() {
        String valid = write("a", "1");
        assertBadRequest(api.commit(ops(valid, "{\"type\":\"write\",\"key\":\"YQ==\",\"value\":\"not base64!\"}")),
            "operations[1].value");
        assertBadRequest(api.commit(ops("{\"type\":\"write\",\"key\":\"YQ==\",\"value\":\"YQ\"}")), "operations[0].value");  // no padding
        assertBadRequest(api.commit(ops("{\"type\":\"write\",\"key\":\"-_8=\",\"value\":\"YQ==\"}")), "operations[0].key");  // URL-safe alphabet
        assertBadRequest(api.commit(ops(valid, valid, "{\"type\":\"delete\",\"key\":\"Y Q==\"}")), "operations[2].key");
        assertBadRequest(api.commit(Api.reads("{\"type\":\"range_read\",\"begin\":\"YQ==\",\"end\":\"Y===\",\"version\":0}")),
            "preconditions[0].end");
        assertEquals(0, api.currentVersion());
        // Padding required and accepted; the empty string is the empty key.
        assertEquals(200, api.commit(ops("{\"type\":\"write\",\"key\":\"\",\"value\":\"YWI=\"}")).status());
    }

    @Test
    void keyAndValueOverTheLimitsAre400() {
        byte[] key = new byte[10_001];
        byte[] value = new byte[100_001];
        assertBadRequest(api.commit(ops("{\"type\":\"write\",\"key\":\"" + b64(key) + "\",\"value\":\"YQ==\"}")),
            "operations[0].key");
        assertBadRequest(api.commit(ops(write("a", "1"), "{\"type\":\"write\",\"key\":\"YQ==\",\"value\":\"" + b64(value) + "\"}")),
            "operations[1].value");
        assertBadRequest(api.commit(Api.reads("{\"type\":\"point_read\",\"key\":\"" + b64(key) + "\",\"version\":0}")),
            "preconditions[0].key");
        assertEquals(0, api.currentVersion());
        // At the limits: accepted.
        assertEquals(200, api.commit(ops("{\"type\":\"write\",\"key\":\"" + b64(new byte[10_000]) + "\",\"value\":\""
            + b64(new byte[100_000]) + "\"}")).status());
    }

    @Test
    void rangeWithBeginAfterEndIs400AndAnEmptyRangeIsAccepted() {
        assertBadRequest(api.commit(ops(rangeDelete("b", "a"))), "operations[0]");
        assertBadRequest(api.commit(Api.reads(pointRead("x", 0L), rangeRead("ab", "a", 0L))), "preconditions[1]");
        assertEquals(0, api.currentVersion());
        assertEquals(200, api.commit("{\"preconditions\":[" + rangeRead("a", "a", 0L) + "],\"operations\":["
            + rangeDelete("b", "b") + "]}").status());
    }

    // ------------------------------------------------------------------ HTTP framing of commits

    @Test
    void bodyOverTheLimitIs413ByContentLengthAndByChunkedBody() throws Exception {
        srv.close();
        srv = TestServer.start("max_request_size_bytes = 4096\n");
        api = new Api(srv.port);
        // Decided from Content-Length before any body byte is sent.
        try (RawClient c = new RawClient(srv.port)) {
            c.send("POST /v1/commit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4097\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(413, r.status(), r.bodyText());
        }
        // A chunked body is cut off as soon as it crosses the limit (the terminating chunk is never sent).
        try (RawClient c = new RawClient(srv.port)) {
            c.send("POST /v1/commit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
            String chunk = " ".repeat(1000);
            for (int i = 0; i < 5; i++) c.send(Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n");
            RawClient.Response r = c.read();
            assertEquals(413, r.status(), r.bodyText());
        }
        // Through java.net.http too.
        Api.Reply big = api.commit("{\"operations\":[]}" + " ".repeat(5000));
        assertEquals(413, big.status(), big.body());
        // Exactly at the limit is fine.
        String body = ops(write("a", "1"));
        Api.Reply atLimit = api.commit(body + " ".repeat(4096 - body.length()));
        assertEquals(200, atLimit.status(), atLimit.body());
        assertEquals(1, api.currentVersion());
    }

    /** An encoded body is not the JSON it would parse as: refused with 415 (RFC 9110 §8.4), never committed. */
    @Test
    void aBodyInAContentCodingIs415AndCommitsNothing() throws Exception {
        String body = ops(write("a", "1"));  // plain JSON that would commit if the coding were ignored
        for (String coding : List.of("gzip", "br", "identity, gzip", "GZIP")) {
            try (RawClient c = new RawClient(srv.port)) {
                c.send("POST /v1/commit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: " + coding
                    + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
                RawClient.Response r = c.read();
                assertEquals(415, r.status(), coding + ": " + r.bodyText());
                assertTrue(r.bodyText().contains("Content-Encoding"), r.bodyText());
                assertEquals("identity", r.header("Accept-Encoding"), coding);
                assertTrue(c.closedByServer(), coding);
            }
        }
        assertEquals(0, api.currentVersion());
        Api.Reply identity = api.send(HttpRequest.newBuilder(api.uri("/v1/commit")).header("Content-Type", "application/json")
            .header("Content-Encoding", "identity").POST(HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(200, identity.status(), identity.body());
    }

    @Test
    void wrongOrMissingContentTypeIs415AndParametersAndCaseAreIgnored() throws Exception {
        String body = ops(write("a", "1"));
        Api.Reply text = api.send(HttpRequest.newBuilder(api.uri("/v1/commit")).header("Content-Type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(415, text.status(), text.body());
        assertEquals("unsupported_media_type", text.str("error"));
        assertTrue(text.str("message").contains("application/json"), text.body());
        try (RawClient c = new RawClient(srv.port)) {
            c.send("POST /v1/commit HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            RawClient.Response r = c.read();
            assertEquals(415, r.status(), r.bodyText());
            assertTrue(r.bodyText().contains("Content-Type"), r.bodyText());
        }
        Api.Reply jsonSeq = api.send(HttpRequest.newBuilder(api.uri("/v1/commit")).header("Content-Type", "application/json-seq")
            .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(415, jsonSeq.status(), jsonSeq.body());
        assertEquals(0, api.currentVersion());

        for (String type : List.of("application/json; charset=utf-8", "application/json;charset=UTF-8", "Application/JSON")) {
            Api.Reply ok = api.send(HttpRequest.newBuilder(api.uri("/v1/commit")).header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
            assertEquals(200, ok.status(), type + ": " + ok.body());
        }
        assertEquals(3, api.currentVersion());
    }

    @Test
    void chunkedRequestBodyIsAccepted() throws Exception {
        String body = "{\"request_id\":\"" + newId("chunked") + "\",\"operations\":[" + write("chunked-key", "chunked-value") + "]}";
        try (RawClient c = new RawClient(srv.port)) {
            StringBuilder req = new StringBuilder("POST /v1/commit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n");
            // Cut inside tokens (a field name, a base64 string) so the streaming parser sees split tokens.
            int[] cuts = {0, 7, 40, body.length() - 9, body.length()};
            for (int i = 0; i + 1 < cuts.length; i++) {
                int n = cuts[i + 1] - cuts[i];
                req.append(Integer.toHexString(n)).append("\r\n").append(body, cuts[i], cuts[i + 1]).append("\r\n");
            }
            req.append("0\r\n\r\n");
            c.send(req.toString());
            Api.Reply r = Api.reply(c.read());
            assertEquals(200, r.status(), r.body());
            assertEquals(1, r.num("version"));
            // The connection stays usable.
            assertEquals(1, Api.get(c, "/v1/version").num("version"));
        }
        // java.net.http sends a body of unknown length chunked.
        Api.Reply r = api.send(HttpRequest.newBuilder(api.uri("/v1/commit")).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(ops(write("x", "y")).getBytes(StandardCharsets.US_ASCII)))));
        assertEquals(200, r.status(), r.body());
        assertEquals(2, r.num("version"));
    }

    @Test
    void expect100ContinueIsAnsweredBeforeTheBodyOrWithTheFinalError() throws Exception {
        String body = ops(write("a", "1"));
        try (RawClient c = new RawClient(srv.port)) {
            c.send("POST /v1/commit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                + "Content-Length: " + body.length() + "\r\n\r\n");
            RawClient.Response cont = c.read();
            assertEquals(100, cont.status());
            c.send(body);
            Api.Reply r = Api.reply(c.read());
            assertEquals(200, r.status(), r.body());
            assertEquals(1, r.num("version"));
        }
        try (RawClient c = new RawClient(srv.port)) {
            c.send("POST /v1/commit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                + "Content-Length: 2000000\r\n\r\n");
            RawClient.Response r = c.read();
            assertEquals(413, r.status(), "the final error instead of 100 Continue");
        }
        Api.Reply viaClient = api.send(HttpRequest.newBuilder(api.uri("/v1/commit")).expectContinue(true)
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
        assertEquals(200, viaClient.status(), viaClient.body());
        assertEquals(2, viaClient.num("version"));
    }

    @Test
    void pipelinedCommitsAreAnsweredInOrder() throws Exception {
        StringBuilder all = new StringBuilder();
        int n = 10;
        for (int i = 0; i < n; i++) {
            String body = Api.withId("pipelined-commit-number-" + i, write("p" + i, "v"));
            all.append("POST /v1/commit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ")
                .append(body.length()).append("\r\n\r\n").append(body);
        }
        all.append("GET /v1/version HTTP/1.1\r\nHost: x\r\n\r\n");
        try (RawClient c = new RawClient(srv.port)) {
            c.send(all.toString());  // one write: every request is buffered before the first answer
            for (int i = 0; i < n; i++) {
                Api.Reply r = Api.reply(c.read());
                assertEquals(200, r.status(), r.body());
                assertEquals("pipelined-commit-number-" + i, r.str("request_id"));
                assertEquals(i + 1, r.num("version"));
            }
            assertEquals(n, Api.reply(c.read()).num("version"));
        }
    }

    @Test
    void http10CommitIsAnsweredAndClosed() throws Exception {
        String body = ops(write("a", "1"));
        try (RawClient c = new RawClient(srv.port)) {
            c.send("POST /v1/commit HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            Api.Reply r = Api.reply(c.read());
            assertEquals(200, r.status(), r.body());
            assertEquals(1, r.num("version"));
            assertTrue(c.closedByServer());
        }
    }

    /**
     * Every id a commit accepts can be asked about: the longest (1024 bytes of UTF-8), percent-encoded at 3 bytes
     * per byte, still fits the default request line. Ids were once limited in characters, and 1,016 emoji
     * committed but their status query got 414.
     */
    @Test
    void theLongestAcceptedIdCanBeAskedAbout() {
        String longest = "\ud83d\ude00".repeat(256);  // 256 emoji, 4 UTF-8 bytes each
        long v = commitOk(Api.withId(longest, write("a", "1"))).num("version");
        Api.Reply s = api.status(longest);
        assertEquals(200, s.status(), s.body());
        assertEquals(v, s.num("version"));
        assertBadRequest(api.commit(Api.withId(longest + "x", write("a", "1"))), "request_id", "1024 bytes");
    }

    @Test
    void requestIdsAreOpaqueStringsEchoedAsValidJson() {
        String id = "quote\" backslash\\ tab\t unicode \u00fc\u4e2d \ud83d\ude00 slash/";
        String json = id.replace("\\", "\\\\").replace("\"", "\\\"").replace("\t", "\\t");
        Api.Reply r = commitOk("{\"request_id\":\"" + json + "\",\"operations\":[]}");
        assertEquals(id, r.str("request_id"));
        assertEquals(r.num("version"), commitOk("{\"request_id\":\"" + json + "\"}").num("version"), "same id, same commit");
        Api.Reply s = api.status(id);
        assertEquals(id, s.str("request_id"), s.body());
        assertEquals("committed", s.str("status"));
        // A duplicate field is refused, not "last one wins".
        assertBadRequest(api.commit("{\"request_id\":\"" + newId("a") + "\",\"request_id\":\"" + newId("b") + "\"}"), "request_id");
    }

    /**
     * A request id that has no exact UTF-8 form (bytes that are not UTF-8, or an escaped unpaired surrogate) is
     * the client's error: 400 naming it. Once, such an id reached the log's encoder, which failed, and the
     * server refused every commit after it until restarted.
     */
    @Test
    void requestIdsWithoutAUtf8FormAre400AndEveryoneElseKeepsCommitting() {
        String id = newId("utf8-poison");
        byte[][] notUtf8 = {{(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}};
        for (byte[] bad : notUtf8) {
            byte[] head = ("{\"request_id\":\"" + id).getBytes(StandardCharsets.UTF_8);
            byte[] body = new byte[head.length + bad.length + 2];
            System.arraycopy(head, 0, body, 0, head.length);
            System.arraycopy(bad, 0, body, head.length, bad.length);
            body[body.length - 2] = '"';
            body[body.length - 1] = '}';
            assertBadRequest(api.send(HttpRequest.newBuilder(api.uri("/v1/commit")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))), "invalid UTF-8 at byte " + head.length);
        }
        assertBadRequest(api.commit("{\"request_id\":\"" + id + "\\ud800\",\"operations\":[" + write("a", "1") + "]}"),
            "request_id: unpaired surrogate");
        assertBadRequest(api.commit("{\"leader_id\":\"\\udfff\"}"), "leader_id: unpaired surrogate");
        // NUL: the log's recovery relies on records never holding long runs of zero bytes (storage.LogRecovery#lostWrite).
        assertBadRequest(api.commit("{\"request_id\":\"" + id + "\\u0000\",\"operations\":[" + write("a", "1") + "]}"),
            "request_id: NUL (\\u0000) at character " + id.length() + " is not allowed");
        assertEquals(0, api.currentVersion(), "nothing committed");
        assertEquals(200, api.get("/ready").status());
        assertEquals(1, commitOk(Api.withId(id + "\ud83d\ude00", write("a", "1"))).num("version"), "a pair is an ordinary id");
        assertEquals(2, commitOk(ops(write("b", "2"))).num("version"));
    }

    @Test
    void wrongMethodsAre405WithAllow() {
        Api.Reply r = api.get("/v1/commit");
        assertEquals(405, r.status(), r.body());
        assertEquals(Set.of("POST", "OPTIONS"), allowed(r), r.header("Allow"));
        Api.Reply s = api.send(HttpRequest.newBuilder(api.uri("/v1/status?request_id=x")).POST(HttpRequest.BodyPublishers.ofString("")));
        assertEquals(405, s.status());
        assertTrue(allowed(s).contains("GET") && !allowed(s).contains("POST"), s.header("Allow"));
        Api.Reply v = api.send(HttpRequest.newBuilder(api.uri("/v1/version")).DELETE());
        assertEquals(405, v.status());
        assertTrue(allowed(v).contains("GET") && !allowed(v).contains("DELETE"), v.header("Allow"));
    }

    private static Set<String> allowed(Api.Reply r) {
        assertNotNull(r.header("Allow"), "405 without Allow");
        return Set.of(r.header("Allow").split("\\s*,\\s*"));
    }

    // ------------------------------------------------------------------ status and version

    @Test
    void statusIsCommittedWithVersionOrNotCommittedAndBansTheId() {
        String committed = newId("status-committed");
        long v = commitOk(Api.withId(committed, write("a", "1"))).num("version");
        Api.Reply s = api.status(committed);
        assertEquals(200, s.status());
        assertEquals(List.of("request_id", "status", "version"), List.copyOf(s.json().keySet()), s.body());
        assertEquals(committed, s.str("request_id"));
        assertEquals("committed", s.str("status"));
        assertEquals(v, s.num("version"));
        // Asking again is harmless; a committed id stays committed and retries still answer 200.
        assertEquals(v, api.status(committed).num("version"));
        assertEquals(v, commitOk(Api.withId(committed, write("a", "1"))).num("version"));

        String unknown = newId("status-unknown");
        Api.Reply n = api.status(unknown);
        assertEquals(200, n.status());
        assertEquals(Map.of("request_id", unknown, "status", "not_committed"), n.json());
        // From now on that id can never commit.
        Api.Reply banned = api.commit(Api.withId(unknown, write("b", "2")));
        assertEquals(409, banned.status(), banned.body());
        assertEquals(List.of("status", "reason", "request_id"), List.copyOf(banned.json().keySet()));
        assertEquals("not_committed", banned.str("status"));
        assertEquals("request_id_banned", banned.str("reason"));
        assertEquals(unknown, banned.str("request_id"));
        assertEquals(v, api.currentVersion());
        assertEquals("not_committed", api.status(unknown).str("status"));

        // Ids are opaque: anything percent-encoded in the query round-trips.
        String odd = "odd id / with ü & = signs, long enough";
        Api.Reply o = api.status(odd);
        assertEquals(odd, o.str("request_id"), o.body());
    }

    @Test
    void statusWithoutRequestIdIs400() {
        for (String path : List.of("/v1/status", "/v1/status?request_id=", "/v1/status?other=1")) {
            Api.Reply r = api.get(path);
            assertEquals(400, r.status(), path + ": " + r.body());
            assertEquals("bad_request", r.str("error"));
            assertTrue(r.str("message").contains("request_id"), r.body());
        }
    }

    /** API.md: a malformed request gets 400 and the connection is closed, also when only its content is bad. */
    @Test
    void aBadRequestClosesTheConnectionAndNothingPipelinedBehindItRuns() throws IOException {
        String bad = "{\"operations\":[{\"type\":\"write\",\"key\":\"not base64!\",\"value\":\"YQ==\"}]}";
        String good = ops(write("a", "1"));
        try (RawClient c = new RawClient(srv.port)) {
            c.send("POST /v1/commit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " + bad.length()
                + "\r\n\r\n" + bad + "POST /v1/commit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                + good.length() + "\r\n\r\n" + good);
            RawClient.Response r = c.read();
            assertEquals(400, r.status(), r.bodyText());
            assertEquals("close", r.header("Connection"));
            assertTrue(c.closedByServer());
        }
        assertEquals(0, api.currentVersion(), "the pipelined commit was not run");
    }

    /**
     * A request_id given twice would ban whichever one we read, while a proxy or an ACL in front may have read the
     * other (the HTTP audit's parameter pollution): 400 naming it, and neither id is banned.
     */
    @Test
    void statusWithTheRequestIdTwiceIs400AndBansNeither() throws IOException {
        String a = newId("first-of-two");
        String b = newId("second-of-two");
        try (RawClient c = new RawClient(srv.port)) {
            assertBadRequest(Api.get(c, "/v1/status?request_id=" + a + "&request_id=" + b), "request_id: given more than once");
        }
        assertEquals(200, api.commit(Api.withId(a, write("a", "1"))).status(), "not banned");
        assertEquals(200, api.commit(Api.withId(b, write("b", "2"))).status(), "not banned");
    }

    /** A malformed escape or escaped bytes that are not UTF-8 would otherwise ban some other id (or a replacement). */
    @Test
    void statusWithAnUndecodableRequestIdIs400AndBansNothing() throws IOException {
        for (String query : List.of("request_id=abc%ZZdefghijklmnopqrstuvwxyz", "request_id=abcdefghijklmnopqrstuvwxyz%",
                "request_id=abcdefghijklmnopqrstuvwxyz%ED%A0%80", "request_id=abcdefghijklmnopqrstuvwxyz%C0%AF")) {
            try (RawClient c = new RawClient(srv.port)) {  // java.net.URI refuses a malformed escape itself
                assertBadRequest(Api.get(c, "/v1/status?" + query), "request_id: invalid percent-encoding");
            }
        }
        String id = "abcdefghijklmnopqrstuvwxyz\ufffd";
        assertEquals(1, commitOk(Api.withId(id, write("a", "1"))).num("version"), "the replacement character was not banned");
        assertEquals("a b c d e f g h i j k l", api.get("/v1/status?request_id=a+b+c+d%20e+f+g+h+i+j+k+l").str("request_id"),
            "'+' is a space, as forms send it");
    }

    @Test
    void versionIsAtLeastEveryAcknowledgedVersionUnderConcurrentCommits() throws Exception {
        String leader = api.leaderId();
        int clients = 16;
        int each = 40;
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> acked = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<RawClient> connections = new ConcurrentLinkedQueue<>();  // closed when all are done
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < clients; t++) {
                int client = t;
                fs.add(pool.submit(() -> {
                    RawClient c = new RawClient(srv.port);
                    connections.add(c);
                    for (int i = 0; i < each; i++) {
                        Api.Reply r = Api.commit(c, ops(write("c" + client + "/" + i, "v")));
                        if (r.status() != 200) {
                            failures.add(r.toString());
                            return null;
                        }
                        long v = r.num("version");
                        acked.add(v);
                        // Asked after the ack arrived: must cover it, whatever the other clients are doing.
                        Api.Reply ver = Api.get(c, "/v1/version");
                        if (ver.num("version") < v) failures.add("version " + ver.body() + " < acknowledged " + v);
                        if (!leader.equals(ver.str("leader_id"))) failures.add("leader changed: " + ver.body());
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        } finally {
            for (RawClient c : connections) c.close();
        }
        assertTrue(failures.isEmpty(), failures.toString());
        assertEquals(clients * each, acked.size());
        assertEquals(clients * each, Set.copyOf(acked).size(), "distinct versions");
        long max = acked.stream().mapToLong(Long::longValue).max().orElseThrow();
        assertEquals(clients * each, max);
        assertTrue(api.currentVersion() >= max);
    }

    // ------------------------------------------------------------------ layout

    /**
     * {@code layout = "auto"} fuses resolve and persist without fsync (nothing to overlap) and splits them with it;
     * an explicit layout wins. Seen from outside through the pipeline's stage tags on /metrics; commits work each way.
     */
    @Test
    void theLayoutFollowsFsyncUnlessGiven(@TempDir Path dir) {
        srv.close();
        srv = null;
        assertEquals(Set.of("resolve_persist"), stagesOf("", dir.resolve("a"), false));
        assertEquals(Set.of("resolve", "persist"), stagesOf("", dir.resolve("b"), true));
        assertEquals(Set.of("resolve", "persist"), stagesOf("layout = \"split\"\n", dir.resolve("c"), false));
        assertEquals(Set.of("resolve_persist", "respond"), stagesOf("layout = \"fused\"\nthreads = 1\n", dir.resolve("d"), true));
    }

    private static Set<String> stagesOf(String pipelineKeys, Path data, boolean fsync) {
        String sections = "[http.pipelines.commit_status]\n" + pipelineKeys
            + "[storage]\ndata_dir = \"" + data + "\"\nfsync = " + fsync + "\n";
        try (TestServer s = TestServer.start("", sections)) {
            Api a = new Api(s.port);
            assertEquals(200, a.commit(ops(write("layout", "1"))).status());
            Api.Reply m = a.get("/metrics");
            assertEquals(200, m.status());
            Set<String> stages = new java.util.TreeSet<>();
            var tag = Pattern.compile("weaseldb_pipeline_queue_depth\\{[^}]*stage=\"([a-z_]+)\"").matcher(m.body());
            while (tag.find()) stages.add(tag.group(1));
            return Set.copyOf(stages);
        }
    }

    // ------------------------------------------------------------------ restart

    /**
     * API.md: from a status query on, a commit carrying the id "will never commit". A ban is journaled (and synced)
     * before the status answer goes out, so a restart keeps it; before, bans lived in memory only.
     */
    @Test
    void aBanSurvivesARestart(@TempDir Path dir) {
        srv.close();
        String storage = "[storage]\ndata_dir = \"" + dir.resolve("data") + "\"\nfsync = true\n";
        String banned = newId("banned-before-restart");
        String committed = newId("committed-before-restart");
        try (TestServer first = TestServer.start("", storage)) {
            Api a = new Api(first.port);
            assertEquals(200, a.commit(Api.withId(committed, write("a", "1"))).status());
            assertEquals("not_committed", a.status(banned).str("status"));
            assertEquals("committed", a.status(committed).str("status"), "a committed id is not banned by a query");
        }
        srv = TestServer.start("", storage);
        api = new Api(srv.port);
        Api.Reply r = api.commit(Api.withId(banned, write("b", "2")));
        assertEquals(409, r.status(), r.body());
        assertEquals("request_id_banned", r.str("reason"));
        assertEquals("committed", api.status(committed).str("status"));
        assertEquals(1, api.currentVersion());
        // Again after a second restart (the journal was reopened and appended to, not rewritten).
        srv.close();
        srv = TestServer.start("", storage);
        api = new Api(srv.port);
        assertEquals("request_id_banned", api.commit(Api.withId(banned, write("b", "2"))).str("reason"));
    }

    /**
     * API.md forgets an id only once both retention rules have passed, but the log keeps only retain_versions: an id
     * whose commit was truncated from the log within its hours was forgotten by a restart, and its retry committed a
     * second time (the API audit's F1). The truncation now archives such ids first.
     */
    @Test
    void anIdTruncatedFromTheLogWithinItsHoursSurvivesARestart(@TempDir Path dir) throws Exception {
        srv.close();
        Path data = dir.resolve("data");
        // 64 KiB segments of ~2 KB commits, a log keeping 10 versions; ids kept 24 h but only 5 versions.
        String storage = "[storage]\ndata_dir = \"" + data + "\"\nfsync = true\nsegment_bytes = 65536\nretain_versions = 10\n"
            + "[commit]\nrequest_id_retention_versions = 5\n";
        String id = newId("truncated-within-hours");
        long version;
        String big = "x".repeat(2000);
        try (TestServer first = TestServer.start("", storage)) {
            Api a = new Api(first.port);
            version = a.commit(Api.withId(id, write("a", "1"))).num("version");
            for (int i = 0; i < 150; i++) assertEquals(200, a.commit(ops(write("k" + i, big))).status());
            Path firstSegment = data.resolve("log").resolve("00000000000000000001.seg");
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (java.nio.file.Files.exists(firstSegment) && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);  // a polling interval (retention runs each second)
            }
            assertFalse(java.nio.file.Files.exists(firstSegment), "retention did not truncate the log within 20 s");
        }
        srv = TestServer.start("", storage);
        api = new Api(srv.port);
        long last = api.currentVersion();
        Api.Reply retry = api.commit(Api.withId(id, write("a", "1")));
        assertEquals(200, retry.status(), retry.body());
        assertEquals(version, retry.num("version"), "the retry answers the original commit: " + retry.body());
        assertEquals(last, api.currentVersion(), "the retry was not applied again");
        Api.Reply status = api.status(id);
        assertEquals("committed", status.str("status"), status.body());
        assertEquals(version, status.num("version"));
    }

    @Test
    void restartChangesTheLeaderAndKeepsVersionsAndRequestIds(@TempDir Path dir) {
        srv.close();
        String storage = "[storage]\ndata_dir = \"" + dir.resolve("data") + "\"\nfsync = true\n";
        String id = newId("before-restart");
        String oldLeader;
        long idVersion;
        try (TestServer first = TestServer.start("", storage)) {
            Api a = new Api(first.port);
            oldLeader = a.leaderId();
            assertEquals(200, a.commit(ops(write("a", "1"))).status());
            Api.Reply r = a.commit(Api.withId(id, write("b", "2")));
            assertEquals(200, r.status());
            idVersion = r.num("version");
            assertEquals(200, a.commit(ops(write("c", "3"))).status());
            assertEquals(3, a.currentVersion());
        }
        srv = TestServer.start("", storage);
        api = new Api(srv.port);
        Api.Reply v = api.version();
        assertEquals(3, v.num("version"), "versions survive the restart");
        String newLeader = v.str("leader_id");
        assertNotEquals(oldLeader, newLeader, "a new leadership term");

        // The old leader's id is refused; the next commit continues gap-free.
        Api.Reply stale = api.commit("{\"leader_id\":\"" + oldLeader + "\",\"operations\":[" + write("d", "4") + "]}");
        assertEquals(409, stale.status());
        assertEquals("leader_mismatch", stale.str("reason"));
        assertEquals(newLeader, stale.str("leader_id"));
        Api.Reply next = commitOk(ops(write("d", "4")));
        assertEquals(4, next.num("version"));
        assertEquals(newLeader, next.str("leader_id"));

        // Request ids survive: status and retries answer the original version.
        Api.Reply s = api.status(id);
        assertEquals("committed", s.str("status"), s.body());
        assertEquals(idVersion, s.num("version"));
        Api.Reply retry = commitOk(Api.withId(id, write("b", "2")));
        assertEquals(idVersion, retry.num("version"));
        assertEquals(id, retry.str("request_id"));
        // A retry sent as before the restart, old leader_id included: it did commit, so the answer says so
        // (a 409 "not_committed" would invite the client to resubmit it under a new id).
        Api.Reply oldRetry = commitOk("{\"request_id\":\"" + id + "\",\"leader_id\":\"" + oldLeader + "\",\"operations\":["
            + write("b", "2") + "]}");
        assertEquals(idVersion, oldRetry.num("version"));
        assertEquals(4, api.currentVersion());

        // Conflict history is rebuilt from the log: b was written at idVersion.
        Api.Reply conflict = api.commit(Api.reads(pointRead("b", idVersion - 1)));
        assertEquals(409, conflict.status(), conflict.body());
        assertEquals(List.of(0L), conflict.json().get("conflicts"));
    }
}
