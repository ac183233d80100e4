package io.weaseldb.http;

import static io.weaseldb.http.HttpFeed.assertStatus;
import static io.weaseldb.http.HttpFeed.feed;
import static io.weaseldb.http.HttpFeed.lines;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.weaseldb.http.HttpFeed.Req;
import io.weaseldb.http.HttpFeed.Result;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Request heads fed whole, byte by byte and in random pieces (see {@link HttpFeed}); every rule, valid and invalid. */
class RequestParserTest {

    static String get(String target) {
        return lines("GET " + target + " HTTP/1.1", "Host: example.com", "", "");
    }

    /** A 1.1 request line followed by the given field lines. */
    static String withFields(String... fields) {
        StringBuilder sb = new StringBuilder("POST /v1/commit HTTP/1.1\r\n");
        for (String f : fields) sb.append(f).append("\r\n");
        return sb.append("\r\n").toString();
    }

    @Nested
    class RequestLine {
        @Test
        void simpleGet() {
            String raw = lines("GET /v1/version?x=1&y HTTP/1.1", "Host: example.com", "Accept: */*", "", "");
            Req r = feed(raw).only();
            assertEquals(Method.GET, r.method());
            assertEquals("GET", r.methodName());
            assertEquals("/v1/version?x=1&y", r.target());
            assertEquals("/v1/version", r.path());
            assertEquals("x=1&y", r.query());
            assertEquals(1, r.versionMinor());
            assertEquals(List.of("Host: example.com", "Accept: */*"), r.headers());
            assertEquals(-1, r.contentLength());
            assertFalse(r.chunked());
            assertTrue(r.keepAlive());
            assertFalse(r.expectContinue());
            assertEquals(raw.length(), r.headLength());
            assertEquals(raw.length(), r.headEnd());
            assertEquals("", r.body());
        }

        @Test
        void everyKnownMethodAndOthersAreCaseSensitive() {
            for (Method m : Method.values()) {
                if (m == Method.OTHER || m == Method.CONNECT) continue;
                assertEquals(m, feed(lines(m.name() + " / HTTP/1.1", "Host: a", "", "")).only().method());
            }
            assertEquals(Method.CONNECT, feed(lines("CONNECT example.com:443 HTTP/1.1", "Host: example.com:443", "", "")).only().method());
            Req lower = feed(lines("get / HTTP/1.1", "Host: a", "", "")).only();
            assertEquals(Method.OTHER, lower.method());
            assertEquals("get", lower.methodName());
            assertEquals(Method.OTHER, feed(lines("PROPFIND / HTTP/1.1", "Host: a", "", "")).only().method());
            assertEquals(Method.OTHER, feed(lines("GETS / HTTP/1.1", "Host: a", "", "")).only().method());
            assertEquals(Method.OTHER, feed(lines("X-Custom!#$ / HTTP/1.1", "Host: a", "", "")).only().method());
        }

        @Test
        void queryOnlyToFirstQuestionMarkAndEmptyQuery() {
            Req r = feed(get("/a?b?c=d")).only();
            assertEquals("/a", r.path());
            assertEquals("b?c=d", r.query());
            Req empty = feed(get("/a?")).only();
            assertEquals("/a", empty.path());
            assertEquals("", empty.query());
            assertNull(feed(get("/a")).only().query());
        }

        @Test
        void targetMayContainAnyVcharExceptHash() {
            Req r = feed(get("/a/%20b;c=d,e!$&'()*+:@[]{}|\\^`\"<>~")).only();
            assertEquals("/a/%20b;c=d,e!$&'()*+:@[]{}|\\^`\"<>~", r.path());
        }

        @ParameterizedTest
        @ValueSource(strings = {
            "GET /a#frag HTTP/1.1",  // fragment
            "GET /ok%zz HTTP/1.1",   // '%' without two hex digits (RFC 3986 pct-encoded)
            "GET /ok% HTTP/1.1",
            "GET /ok%2 HTTP/1.1",
            "GET /a?q=%g0 HTTP/1.1", // in the query too
            "GET http://h/a%2x HTTP/1.1",
            "GET /a\tb HTTP/1.1",    // CTL
            "GET /a\u0000 HTTP/1.1", // NUL
            "GET /a\u007f HTTP/1.1", // DEL
            "GET /caf\u00e9 HTTP/1.1", // non-ASCII
            "GET  / HTTP/1.1",       // two spaces: empty target
            "GET /  HTTP/1.1",       // two spaces before version
            "GET / HTTP/1.1 ",       // trailing space
            " GET / HTTP/1.1",       // leading space
            "GET\t/ HTTP/1.1",       // HTAB separator
            "G(ET / HTTP/1.1",       // non-tchar in method
            "GET /",                 // HTTP/0.9 style: no version
            "GET / HTTP/1.1x",
            "GET / http/1.1",
            "GET / HTTP/1.",
            "GET / HTTP/1",
            "GET / HTTP/11",
            "GET / HTTP/1.1.1",
            "GET / HTTPS/1.1",
            "GET / HTTP/a.1",
            "GET / HTTP/1.a",
            "GET / HTTP/2",
            "GET / HTTP/10.0",
        })
        void malformedRequestLineIs400(String line) {
            assertStatus(400, line + "\r\nHost: a\r\n\r\n");
        }

        @ParameterizedTest
        @ValueSource(strings = {"HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "HTTP/3.0", "HTTP/9.9", "HTTP/0.0"})
        void otherVersionsAre505(String version) {
            Result r = feed("GET / " + version + "\r\nHost: a\r\n\r\n");
            assertEquals(505, r.status(), r::toString);
            assertEquals("version_not_supported", r.code());
        }

        @Test
        void http2PrefaceIs505NotATargetError() {
            assertStatus(505, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        }

        @Test
        void versionIsJudgedBeforeTheRestOfTheHeadArrives() {
            Result r = feed("GET / HTTP/1.1x"); // no CRLF yet: the 'x' alone decides
            assertEquals(400, r.status());
            Result v = feed("GET / HTTP/2.0\r");
            assertEquals(505, v.status());
        }

        @Test
        void bareLfOrBareCrEndingTheRequestLineIs400() {
            assertStatus(400, "GET / HTTP/1.1\nHost: a\r\n\r\n");
            assertStatus(400, "GET / HTTP/1.1\rHost: a\r\n\r\n");
            assertStatus(400, "GET / HTTP/1.1\r\rHost: a\r\n\r\n");
        }

        @Test
        void absoluteForm() {
            Req r = feed(lines("GET http://example.com:8080/v1/version?q=1 HTTP/1.1", "Host: example.com:8080", "", "")).only();
            assertEquals("http://example.com:8080/v1/version?q=1", r.target());
            assertEquals("/v1/version", r.path());
            assertEquals("q=1", r.query());
            Req https = feed(lines("GET HTTPS://example.com/x HTTP/1.1", "Host: example.com", "", "")).only();
            assertEquals("/x", https.path());
        }

        @Test
        void escapedUnreservedCharactersInThePathAreDecodedAndOtherEscapesUppercased() throws HttpException {
            assertEquals("/ok", feed(lines("GET /%6Fk HTTP/1.1", "Host: a", "", "")).only().path());
            Req mixed = feed(lines("GET /v1/%72etention/%7e%41%2d%2e%5F/a%2fb%20c?x=%41 HTTP/1.1", "Host: a", "", "")).only();
            assertEquals("/v1/retention/~A-._/a%2Fb%20c", mixed.path());
            assertEquals("x=%41", mixed.query());
            assertEquals("/ok", feed(lines("GET http://h/%6F%6b?q HTTP/1.1", "Host: h", "", "")).only().path());
            // The router compares the normalized bytes.
            RequestParser p = new RequestParser(HttpLimits.DEFAULT);
            p.reset();
            byte[] b = "GET /%6fk HTTP/1.1\r\nHost: h\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            assertEquals(b.length, p.parseHead(b, 0, b.length));
            assertTrue(p.head().pathEquals("/ok".getBytes(StandardCharsets.US_ASCII)));
        }

        @Test
        void anEscapedPercentStaysEscaped() {
            // so normalizing is idempotent: "%2541" never becomes "%41", then "A"
            assertEquals("/%2541", feed(lines("GET /%2541 HTTP/1.1", "Host: a", "", "")).only().path());
            assertEquals("/%25%2F", feed(lines("GET /%25%2f HTTP/1.1", "Host: a", "", "")).only().path());
        }

        @Test
        void absoluteFormWithEmptyPathHasPathSlash() {
            Req r = feed(lines("GET http://example.com HTTP/1.1", "Host: example.com", "", "")).only();
            assertEquals("/", r.path());
            assertNull(r.query());
            Req q = feed(lines("GET http://example.com?a=b HTTP/1.1", "Host: example.com", "", "")).only();
            assertEquals("/", q.path());
            assertEquals("a=b", q.query());
        }

        @Test
        void pathEqualsWorksForAbsoluteFormEmptyPath() throws HttpException {
            RequestParser p = new RequestParser(HttpLimits.DEFAULT);
            p.reset();
            byte[] b = "GET http://h HTTP/1.1\r\nHost: h\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            assertEquals(b.length, p.parseHead(b, 0, b.length));
            assertTrue(p.head().pathEquals(new byte[] {'/'}));
        }

        @ParameterizedTest
        @ValueSource(strings = {
            "ftp://example.com/x", "http:/example.com/x", "http:example.com", "http://", "http:///x",
            "http://user@example.com/x", "example.com/x", "example.com:80", "?a", "a", "**", "*/x",
        })
        void badTargetFormsAre400(String target) {
            assertStatus(400, get(target));
        }

        @Test
        void asteriskFormOnlyForOptions() {
            Req r = feed(lines("OPTIONS * HTTP/1.1", "Host: a", "", "")).only();
            assertEquals(Method.OPTIONS, r.method());
            assertEquals("*", r.target());
            assertEquals("*", r.path());
            assertStatus(400, get("*"));
            assertStatus(400, lines("POST * HTTP/1.1", "Host: a", "", ""));
        }

        @Test
        void authorityFormOnlyForConnect() {
            Req r = feed(lines("CONNECT db.example.com:443 HTTP/1.1", "Host: db.example.com:443", "", "")).only();
            assertEquals("db.example.com:443", r.target());
            assertEquals("", r.path());
            assertFalse(r.keepAlive(), "what follows a CONNECT may be tunnel bytes, never another request");
            assertEquals(Method.CONNECT, feed(lines("CONNECT [::1]:8080 HTTP/1.1", "Host: [::1]:8080", "", "")).only().method());
            assertStatus(400, lines("CONNECT / HTTP/1.1", "Host: a", "", ""));
            assertStatus(400, lines("CONNECT example.com HTTP/1.1", "Host: a", "", ""));
            assertStatus(400, lines("CONNECT example.com: HTTP/1.1", "Host: a", "", ""));
            assertStatus(400, lines("CONNECT :443 HTTP/1.1", "Host: a", "", ""));
            assertStatus(400, lines("CONNECT http://example.com:443 HTTP/1.1", "Host: a", "", ""));
            assertStatus(400, get("example.com:443"));
        }

        @Test
        void requestLineAtTheLimitIsAcceptedOneMoreIs414() {
            HttpLimits limits = new HttpLimits(64, 16384, 1 << 20, 100);
            String prefix = "GET /";
            String suffix = " HTTP/1.1";
            String atLimit = prefix + "a".repeat(64 - prefix.length() - suffix.length()) + suffix;
            assertEquals(64, atLimit.length());
            assertEquals(0, feed(atLimit + "\r\nHost: a\r\n\r\n", limits).status());
            String over = prefix + "a".repeat(65 - prefix.length() - suffix.length()) + suffix;
            Result r = feed(over + "\r\nHost: a\r\n\r\n", limits);
            assertEquals(414, r.status());
            assertEquals("uri_too_long", r.code());
        }

        @Test
        void longMethodCounts() {
            HttpLimits limits = new HttpLimits(16, 16384, 1 << 20, 100);
            assertStatus(414, "ABCDEFGHIJKLMNOPQRSTUVWXYZ / HTTP/1.1\r\nHost: a\r\n\r\n", limits);
        }

        @Test
        void requestLine414WhileIncomplete() {
            // No CRLF ever arrives: the limit alone must end it, whichever part of the line is too long.
            Result r = feed("GET /" + "a".repeat(9000));
            assertEquals(414, r.status());
            assertTrue(r.requests().isEmpty());
            assertStatus(414, "M".repeat(8193));
            assertStatus(414, "GET /" + "a".repeat(8180) + " HTTP/1.1"); // version straddles the limit
        }

        @Test
        void incompleteRequestLineAsksForMore() {
            Result r = feed("GET /a HTTP/1.");
            assertEquals(0, r.status());
            assertEquals("head-incomplete", r.tail());
        }
    }

    @Nested
    class LeadingEmptyLines {
        @Test
        void crlfAndBareLfBeforeTheRequestLineAreSkipped() {
            String head = get("/");
            Req r = feed("\r\n\n\r\n" + head).only();
            assertEquals(head.length(), r.headLength());
            assertEquals(head.length() + 5, r.headEnd());
        }

        @Test
        void startedOnlyAfterANonEmptyLineByte() throws HttpException {
            RequestParser p = new RequestParser(HttpLimits.DEFAULT);
            p.reset();
            byte[] b = "\r\n\r\nG".getBytes(StandardCharsets.US_ASCII);
            assertFalse(p.started());
            assertEquals(-1, p.parseHead(b, 0, 4));
            assertFalse(p.started());
            assertEquals(-1, p.parseHead(b, 0, 5));
            assertTrue(p.started());
            assertEquals("idle", feed("\r\n\r\n\n").tail());
        }

        @Test
        void endlessEmptyLinesAreBounded() {
            HttpLimits limits = new HttpLimits(64, 16384, 1 << 20, 100);
            assertEquals(0, feed("\r\n".repeat(32) + get("/"), limits).status());
            assertStatus(400, "\r\n".repeat(33), limits);
            assertStatus(400, "\n".repeat(65), limits);
        }

        @Test
        void emptyLinesTheCallerSkipsCountAgainstTheSameLimit() throws HttpException {
            HttpLimits limits = new HttpLimits(64, 16384, 1 << 20, 100);
            RequestParser p = new RequestParser(limits);
            p.reset();
            byte[] lines = "\r\n".repeat(20).getBytes(StandardCharsets.US_ASCII);
            assertEquals(40, p.skipEmptyLines(lines, 0, 40));
            byte[] ok = ("\r\n".repeat(12) + get("/")).getBytes(StandardCharsets.US_ASCII);
            assertTrue(p.parseHead(ok, 0, ok.length) > 0, "40 skipped by the caller + 24 by the parser = the limit of 64");

            p.reset();
            byte[] many = "\r\n".repeat(50).getBytes(StandardCharsets.US_ASCII);
            assertEquals(64, p.skipEmptyLines(many, 0, many.length), "only what fits is skipped");
            assertEquals(64, p.skipEmptyLines(many, 64, many.length), "nothing more once at the limit");
            assertThrows(HttpException.class, () -> p.parseHead(many, 64, many.length));
        }

        @Test
        void theCallerSkipsOnlyWholeEmptyLines() throws HttpException {
            RequestParser p = new RequestParser(HttpLimits.DEFAULT);
            p.reset();
            byte[] b = "\n\r\n\r".getBytes(StandardCharsets.US_ASCII);
            assertEquals(3, p.skipEmptyLines(b, 0, b.length), "a CR whose LF has not arrived stays");
            byte[] g = "\r\nGET".getBytes(StandardCharsets.US_ASCII);
            assertEquals(2, p.skipEmptyLines(g, 0, g.length), "stops at the request line");
            byte[] bare = "\rGET".getBytes(StandardCharsets.US_ASCII);
            assertEquals(0, p.skipEmptyLines(bare, 0, bare.length), "a bare CR is the parser's to refuse");
            assertThrows(HttpException.class, () -> p.parseHead(bare, 0, bare.length));
            p.reset();
            byte[] req = ("\r\n" + get("/")).getBytes(StandardCharsets.US_ASCII);
            assertTrue(p.parseHead(req, 0, req.length) > 0);
            assertThrows(IllegalStateException.class, () -> p.skipEmptyLines(req, 0, req.length),
                    "once parsing has started the parser skips empty lines itself");
        }

        @Test
        void bareCrBeforeRequestLineIs400() {
            assertStatus(400, "\rGET / HTTP/1.1\r\nHost: a\r\n\r\n");
        }
    }

    @Nested
    class Fields {
        @Test
        void valuesAreTrimmedAndMayContainSpacesAndObsText() {
            Req r = feed(withFields("Host: a", "X-A:   spaced  value \t ", "X-B:", "X-C: \t", "x-d:caf\u00e9", "X-E: a\tb")).only();
            assertEquals(List.of("Host: a", "X-A: spaced  value", "X-B: ", "X-C: ", "x-d: caf\u00e9", "X-E: a\tb"), r.headers());
        }

        @Test
        void headerLookupIsCaseInsensitive() throws HttpException {
            RequestParser p = new RequestParser(HttpLimits.DEFAULT);
            p.reset();
            byte[] b = withFields("hOsT: a", "X-Thing: v").getBytes(StandardCharsets.US_ASCII);
            p.parseHead(b, 0, b.length);
            assertEquals("v", p.head().header("x-thing"));
            assertEquals(1, p.head().indexOf("X-THING"));
        }

        @Test
        void obsFoldIs400() {
            assertStatus(400, withFields("Host: a", "X-A: b", " folded"));
            assertStatus(400, withFields("Host: a", "X-A: b", "\tfolded"));
        }

        @Test
        void whitespaceBeforeFirstFieldIs400() {
            assertStatus(400, "GET / HTTP/1.1\r\n Host: a\r\n\r\n");
        }

        @Test
        void spaceOrTabBeforeColonIs400() {
            assertStatus(400, withFields("Host : a"));
            assertStatus(400, withFields("Host\t: a"));
            assertStatus(400, withFields("Host: a", "Content-Length : 0"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"X-A: a\rb", "X-A: a\nb", "X-A: a\u0000b", "X-A: \u0001", "X-A: a\u007fb", "X-A: a\u001bb"})
        void controlCharactersInValuesAre400(String field) {
            assertStatus(400, withFields("Host: a", field));
        }

        @ParameterizedTest
        @ValueSource(strings = {": empty-name", "X(A): b", "X/A: b", "X\u00e9: b", "NoColon", "X-A\u0000: b"})
        void badFieldNamesAre400(String field) {
            assertStatus(400, withFields("Host: a", field));
        }

        @Test
        void bareLfOrBareCrInFieldsIs400() {
            assertStatus(400, "GET / HTTP/1.1\r\nHost: a\n\r\n");
            assertStatus(400, "GET / HTTP/1.1\r\nHost: a\r\n\n");
            assertStatus(400, "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n");
            assertStatus(400, "GET / HTTP/1.1\r\nHost: a\r\n\rX");
            assertStatus(400, "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rX-B: c\r\n\r\n");
        }

        @Test
        void headerBytesAtTheLimitAcceptedOneMoreIs431() {
            // Limit counts field lines with their CRLFs, not the request line or the final empty line.
            String host = "Host: a\r\n"; // 9 bytes
            HttpLimits limits = new HttpLimits(8192, 30, 1 << 20, 100);
            String fill = "X: " + "v".repeat(30 - host.length() - 5) + "\r\n"; // 21 bytes
            assertEquals(30, host.length() + fill.length());
            assertEquals(0, feed("GET / HTTP/1.1\r\n" + host + fill + "\r\n", limits).status());
            String over = "X: " + "v".repeat(30 - host.length() - 4) + "\r\n";
            Result r = feed("GET / HTTP/1.1\r\n" + host + over + "\r\n", limits);
            assertEquals(431, r.status());
            assertEquals("header_too_large", r.code());
        }

        @Test
        void headers431WhileIncomplete() {
            assertStatus(431, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "v".repeat(20000));
            assertStatus(431, "GET / HTTP/1.1\r\nHost: a\r\n" + "X-Name-" + "n".repeat(20000));
            assertStatus(431, "GET / HTTP/1.1\r\nHost: a\r\n" + "X: a\r\n".repeat(3000));
        }

        @Test
        void tooManyFieldsIs431() {
            HttpLimits limits = new HttpLimits(8192, 16384, 1 << 20, 5);
            assertEquals(5, feed(withFields("Host: a", "A: 1", "B: 2", "C: 3", "D: 4"), limits).only().headers().size());
            assertStatus(431, withFields("Host: a", "A: 1", "B: 2", "C: 3", "D: 4", "E: 5"), limits);
            assertStatus(431, "GET / HTTP/1.1\r\n" + "A: 1\r\n".repeat(101)); // default limit 100, even incomplete
        }
    }

    @Nested
    class Host {
        @Test
        void missingHostIn11Is400() {
            assertStatus(400, "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n");
        }

        @Test
        void duplicateHostIs400EvenWhenEqual() {
            assertStatus(400, withFields("Host: a", "Host: a"));
            assertStatus(400, withFields("Host: a", "host: b"));
        }

        @Test
        void emptyHostIsAccepted() {
            assertEquals("Host: ", feed(withFields("Host:")).only().headers().get(0));
        }

        @Test
        void invalidHostIs400() {
            assertStatus(400, withFields("Host: a b"));
            assertStatus(400, withFields("Host: a/b"));
            assertStatus(400, withFields("Host: user@a"));
            assertStatus(400, withFields("Host: caf\u00e9"));
            assertEquals(0, feed(withFields("Host: [::1]:8080")).status());
        }

        /** The value's structure too: host [":" port], port digits, an IP literal in brackets. */
        @Test
        void malformedHostAuthorityIs400() {
            for (String bad : new String[] {"a:b", "a:80:90", "a:8o", "[::1", "[::1]x", "[::1]:x", "a]", "a[b", "[[::1]]", ":80x",
                    "%zz", "%", "a%4", "a%4:80", "[fe80::1%2]"}) {
                assertStatus(400, withFields("Host: " + bad));
            }
            for (String good : new String[] {"a", "a:", "a:8080", "192.168.0.1:80", "[::1]", "[v1.x]:1", "db.example.com",
                    "xn--caf-dma.example", "a%2Db:1", ":80", "[fe80::1%25eth0]"}) {
                assertEquals(0, feed(withFields("Host: " + good)).status(), good);
            }
            assertStatus(400, "GET http://a:b/ok HTTP/1.1\r\nHost: a\r\n\r\n"); // the same rule in an absolute-form target
            assertStatus(400, "GET http://[::1/ok HTTP/1.1\r\nHost: a\r\n\r\n");
            assertStatus(400, "GET http://%zz/ok HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals(0, feed("GET http://[::1]:80/ok HTTP/1.1\r\nHost: a\r\n\r\n").status());
        }

        /** Content-Type is a singleton: with two, a proxy in front may act on the other one. */
        @Test
        void duplicateContentTypeIs400() {
            assertStatus(400, withFields("Host: a", "Content-Type: application/json", "Content-Type: text/plain"));
            assertStatus(400, withFields("Host: a", "content-type: a/b", "Content-Type: a/b"));
            assertEquals(0, feed(withFields("Host: a", "Content-Type: application/json")).status());
        }

        @Test
        void http10WithoutHostIsFine() {
            Req r = feed("GET / HTTP/1.0\r\n\r\n").only();
            assertEquals(0, r.versionMinor());
            assertFalse(r.keepAlive());
        }
    }

    @Nested
    class ContentLength {
        @Test
        void parsedWithOwsTrimmedAndLeadingZeros() {
            assertEquals(5, feed(withFields("Host: a", "Content-Length: 5") + "hello").only().contentLength());
            assertEquals(5, feed(withFields("Host: a", "content-length:5") + "hello").only().contentLength());
            assertEquals(5, feed(withFields("Host: a", "Content-Length: \t5 \t") + "hello").only().contentLength());
            assertEquals(5, feed(withFields("Host: a", "Content-Length: 0005") + "hello").only().contentLength());
            assertEquals(0, feed(withFields("Host: a", "Content-Length: 0")).only().contentLength());
        }

        @Test
        void identicalDuplicatesCountAsOne() {
            assertEquals(3, feed(withFields("Host: a", "Content-Length: 3", "Content-Length: 3") + "abc").only().contentLength());
            assertEquals(3, feed(withFields("Host: a", "Content-Length: 3", "Content-Length: 03") + "abc").only().contentLength());
        }

        @Test
        void differingDuplicatesAre400() {
            assertStatus(400, withFields("Host: a", "Content-Length: 3", "Content-Length: 4") + "abcd");
        }

        @ParameterizedTest
        @ValueSource(strings = {"+5", "-5", "0x5", "5 5", "5\t5", "5,5", "5, 5", "5;", "", "five", "5.0", "\u00b55",
            "99999999999999999999", "9223372036854775808"})
        void malformedIs400(String value) {
            assertStatus(400, withFields("Host: a", "Content-Length: " + value) + "hello");
        }

        @Test
        void maxLongParsesThenExceedsTheLimit() {
            assertStatus(413, withFields("Host: a", "Content-Length: 9223372036854775807"));
        }

        @Test
        void overBodyLimitIs413FromTheHead() {
            HttpLimits limits = new HttpLimits(8192, 16384, 10, 100);
            assertEquals(10, feed(withFields("Host: a", "Content-Length: 10") + "0123456789", limits).only().contentLength());
            Result r = feed(withFields("Host: a", "Content-Length: 11"), limits); // no body bytes needed to decide
            assertEquals(413, r.status());
            assertEquals("payload_too_large", r.code());
        }
    }

    @Nested
    class TransferEncoding {
        @Test
        void chunkedIsAccepted() {
            Req r = feed(withFields("Host: a", "Transfer-Encoding: chunked") + "0\r\n\r\n").only();
            assertTrue(r.chunked());
            assertEquals(-1, r.contentLength());
            assertTrue(feed(withFields("Host: a", "transfer-encoding: CHUNKED ") + "0\r\n\r\n").only().chunked());
            assertTrue(feed(withFields("Host: a", "Transfer-Encoding: , chunked,") + "0\r\n\r\n").only().chunked());
        }

        @Test
        void withContentLengthIs400() {
            assertStatus(400, withFields("Host: a", "Content-Length: 5", "Transfer-Encoding: chunked") + "0\r\n\r\n");
            assertStatus(400, withFields("Host: a", "Transfer-Encoding: chunked", "Content-Length: 5") + "0\r\n\r\n");
            assertStatus(400, withFields("Host: a", "Transfer-Encoding: gzip, chunked", "Content-Length: 5"));
        }

        @Test
        void inHttp10Is400() {
            assertStatus(400, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
            assertStatus(400, "POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n");
        }

        @ParameterizedTest
        @ValueSource(strings = {"gzip, chunked", "deflate, chunked", "x-custom, chunked", "identity, chunked"})
        void otherCodingsBeforeChunkedAre501(String codings) {
            Result r = feed(withFields("Host: a", "Transfer-Encoding: " + codings));
            assertEquals(501, r.status(), r::toString);
            assertEquals("not_implemented", r.code());
        }

        /** RFC 9112 §6.3: chunked not final means the length cannot be known: 400, whatever the other codings. */
        @ParameterizedTest
        @ValueSource(strings = {"gzip", "compress", "identity", "chunked, gzip", "chunked, identity", "gzip, chunked, gzip"})
        void withoutChunkedLastUnknownCodingsAre400(String codings) {
            Result r = feed(withFields("Host: a", "Transfer-Encoding: " + codings));
            assertEquals(400, r.status(), r::toString);
            assertEquals("bad_request", r.code());
        }

        @Test
        void codingsAreCombinedAcrossLines() {
            assertStatus(501, withFields("Host: a", "Transfer-Encoding: gzip", "Transfer-Encoding: chunked"));
            assertStatus(400, withFields("Host: a", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked"));
        }

        @ParameterizedTest
        @ValueSource(strings = {"chunked, chunked", "chunked,chunked", "", " , ", "chunked;q=1", "\"chunked\"", "chun ked"})
        void framingProblemsAre400(String codings) {
            assertStatus(400, withFields("Host: a", "Transfer-Encoding: " + codings) + "0\r\n\r\n");
        }
    }

    @Nested
    class ConnectionAndExpect {
        @Test
        void keepAliveDefaults() {
            assertTrue(feed(get("/")).only().keepAlive());
            assertFalse(feed("GET / HTTP/1.0\r\n\r\n").only().keepAlive());
        }

        @Test
        void closeWins() {
            assertFalse(feed(withFields("Host: a", "Connection: close")).only().keepAlive());
            assertFalse(feed(withFields("Host: a", "Connection: Keep-Alive, CLOSE")).only().keepAlive());
            assertFalse(feed(withFields("Host: a", "Connection: keep-alive", "Connection: close")).only().keepAlive());
            assertFalse(feed("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").only().keepAlive());
        }

        @Test
        void keepAliveFor10OnlyWhenAsked() {
            assertTrue(feed("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").only().keepAlive());
            assertTrue(feed("GET / HTTP/1.0\r\nConnection: foo ,keep-alive\r\n\r\n").only().keepAlive());
            assertFalse(feed("GET / HTTP/1.0\r\nConnection: keep-alived\r\n\r\n").only().keepAlive());
            assertTrue(feed(withFields("Host: a", "Connection: upgrade, x")).only().keepAlive());
        }

        @Test
        void expectContinue() {
            assertTrue(feed(withFields("Host: a", "Expect: 100-continue", "Content-Length: 1") + "x").only().expectContinue());
            assertTrue(feed(withFields("Host: a", "Expect: 100-Continue")).only().expectContinue());
            assertFalse(feed(withFields("Host: a", "Expect: 200-ok")).only().expectContinue());
            assertFalse(feed(withFields("Host: a")).only().expectContinue());
            assertFalse(feed("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").only().expectContinue());
        }
    }

    @Nested
    class Pipelining {
        @Test
        void severalRequestsInOneBuffer() {
            String a = withFields("Host: a", "Content-Length: 5") + "hello";
            String b = lines("GET /second?x HTTP/1.1", "Host: b", "", "");
            String c = withFields("Host: c", "Transfer-Encoding: chunked") + "3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: v\r\n\r\n";
            String d = lines("DELETE /last HTTP/1.1", "Host: d", "Connection: close", "", "");
            Result r = feed(a + b + "\r\n" + c + d);
            assertEquals(0, r.status(), r::toString);
            assertEquals("idle", r.tail());
            List<Req> reqs = r.requests();
            assertEquals(4, reqs.size());
            assertEquals("hello", reqs.get(0).body());
            assertEquals(a.length(), reqs.get(0).end());
            assertEquals("/second", reqs.get(1).path());
            assertEquals(a.length() + b.length(), reqs.get(1).end());
            assertEquals("abcde", reqs.get(2).body());
            assertEquals(5, reqs.get(2).bodyBytes());
            assertEquals(Method.DELETE, reqs.get(3).method());
            assertFalse(reqs.get(3).keepAlive());
            assertEquals((a + b + "\r\n" + c + d).length(), reqs.get(3).end());
        }

        @Test
        void errorInSecondRequestKeepsTheFirst() {
            Result r = feed(get("/ok") + "GET /bad HTTP/1.1\r\nHost : x\r\n\r\n");
            assertEquals(1, r.requests().size());
            assertEquals(400, r.status());
        }

        @Test
        void secondRequestIncomplete() {
            Result r = feed(get("/ok") + "GET /next HT");
            assertEquals(1, r.requests().size());
            assertEquals("head-incomplete", r.tail());
        }
    }

    @Nested
    class Api {
        @Test
        void resumesWithTheSameBufferAndReturnsTheHeadEnd() throws HttpException {
            RequestParser p = new RequestParser(HttpLimits.DEFAULT);
            p.reset();
            byte[] b = ("xx" + get("/") + "yy").getBytes(StandardCharsets.US_ASCII);
            int end = b.length - 2;
            assertEquals(-1, p.parseHead(b, 2, 10));
            assertEquals(end, p.parseHead(b, 2, end));
            assertEquals(end, p.parseHead(b, 2, b.length)); // complete: stays complete
            assertEquals(end - 2, p.head().headLength());
            assertThrows(IllegalArgumentException.class, () -> p.parseHead(b.clone(), 2, b.length));
        }

        @Test
        void unusableAfterAnErrorUntilReset() throws HttpException {
            RequestParser p = new RequestParser(HttpLimits.DEFAULT);
            p.reset();
            byte[] bad = "GET / HTTP/1.1\r\nHost : a\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            assertThrows(HttpException.class, () -> p.parseHead(bad, 0, bad.length));
            assertThrows(IllegalStateException.class, () -> p.parseHead(bad, 0, bad.length));
            p.reset();
            byte[] good = get("/").getBytes(StandardCharsets.US_ASCII);
            assertEquals(good.length, p.parseHead(good, 0, good.length));
        }

        @Test
        void resetClearsThePreviousHead() throws HttpException {
            RequestParser p = new RequestParser(HttpLimits.DEFAULT);
            byte[] a = (withFields("Host: a", "Connection: close", "Content-Length: 1", "Expect: 100-continue") + "x")
                    .getBytes(StandardCharsets.US_ASCII);
            p.reset();
            p.parseHead(a, 0, a.length);
            assertTrue(p.head().expectContinue());
            p.reset();
            byte[] b = get("/").getBytes(StandardCharsets.US_ASCII);
            p.parseHead(b, 0, b.length);
            RequestHead h = p.head();
            assertTrue(h.keepAlive());
            assertFalse(h.expectContinue());
            assertEquals(-1, h.contentLength());
            assertEquals(1, h.headerCount());
            assertFalse(h.hasBody());
        }
    }
}
