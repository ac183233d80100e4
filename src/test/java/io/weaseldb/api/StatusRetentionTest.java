package io.weaseldb.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.weaseldb.server.RawClient;
import io.weaseldb.server.TestServer;
import org.junit.jupiter.api.Test;

/** {@code /v1/status} once request ids are forgotten by both retention rules, and 415 before a 100 Continue. */
class StatusRetentionTest {
    @Test
    void forgottenIdsAnswerLogTruncated() {
        // 0 hours and 1 version: an id is forgotten once more than one version committed after it.
        try (TestServer srv = TestServer.start("", "[commit]\nrequest_id_retention_hours = 0\nrequest_id_retention_versions = 1\n")) {
            Api api = new Api(srv.port);
            assertEquals("not_committed", api.status("never-used-request-id-000001").str("status"),
                "nothing forgotten yet: an unknown id provably never committed");
            for (int i = 1; i <= 4; i++) {
                assertEquals(200, api.commit(Api.withId("retention-test-request-id-" + i, Api.write("a2V5", "dmFsdWU="))).status());
            }
            Api.Reply old = api.status("retention-test-request-id-1");
            assertEquals(200, old.status());
            assertEquals("log_truncated", old.str("status"));
            Api.Reply recent = api.status("retention-test-request-id-4");
            assertEquals("committed", recent.str("status"));
            assertEquals(4L, ((Number) recent.json().get("version")).longValue());
            assertEquals("log_truncated", api.status("never-used-request-id-000002").str("status"),
                "once ids were forgotten, an unknown id cannot be proven never committed");
        }
    }

    @Test
    void wrongContentTypeWithExpectContinueIsAnsweredWithoutTheBody() throws Exception {
        try (TestServer srv = TestServer.start(); RawClient c = new RawClient(srv.port)) {
            RawClient.Response r = c.send("POST /v1/commit HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                + "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n").read();
            assertEquals(415, r.status(), "the final answer instead of 100 Continue");
            assertEquals("close", r.header("Connection"), "the unread body cannot be skipped reliably: close");
        }
    }
}
