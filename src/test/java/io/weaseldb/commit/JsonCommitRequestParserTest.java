package io.weaseldb.commit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonCommitRequestParserTest {
    private static final String ID = "client-chosen-id-at-least-20-chars";
    /** Small limits so boundary bodies stay small: keys ≤ 8 bytes (range bounds ≤ 9), values ≤ 16. */
    private static final CommitLimits LIMITS = new CommitLimits(8, 16, 20);

    private static ParseHarness.Result parse(String json) {
        return ParseHarness.parseEveryWay(() -> new JsonCommitRequestParser(LIMITS), json);
    }

    private static CommitRequest ok(String json) {
        ParseHarness.Result r = parse(json);
        assertNull(r.error(), () -> "unexpected error for " + json);
        return r.request();
    }

    private static void fails(String json, String message) {
        ParseHarness.Result r = parse(json);
        assertEquals(message, r.error(), () -> "for " + json);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void parsesTheApiExample() {
        CommitRequest r = ok("""
                {
                  "request_id": "client-chosen-id-at-least-20-chars",
                  "leader_id": "leader-7",
                  "read_version": 1234,
                  "preconditions": [
                    {"type": "point_read", "key": "a2V5", "version": 1200},
                    {"type": "range_read", "begin": "YQ==", "end": "Yg==", "version": 1200},
                    {"type": "point_read", "key": "a2V5"}
                  ],
                  "operations": [
                    {"type": "write", "key": "a2V5", "value": "dmFsdWU="},
                    {"type": "delete", "key": "a2V5"},
                    {"type": "range_delete", "begin": "YQ==", "end": "Yg=="}
                  ]
                }
                """);
        assertEquals(ID, r.requestId());
        assertEquals("leader-7", r.leaderId());
        assertTrue(r.hasReadVersion());
        assertEquals(1234, r.readVersion());
        assertEquals(List.of(Precondition.pointRead(bytes("key"), 1200), Precondition.rangeRead(bytes("a"), bytes("b"), 1200),
                Precondition.pointRead(bytes("key"))), r.preconditions());
        assertEquals(1234, r.effectiveVersion(2));
        assertEquals(List.of(Operation.write(bytes("key"), bytes("value")), Operation.delete(bytes("key")),
                Operation.rangeDelete(bytes("a"), bytes("b"))), r.operations());
    }

    @Test
    void everythingIsOptionalAndNullMeansAbsent() {
        CommitRequest empty = ok("{}");
        assertNull(empty.requestId());
        assertNull(empty.leaderId());
        assertFalse(empty.hasReadVersion());
        assertTrue(empty.preconditions().isEmpty());
        assertTrue(empty.operations().isEmpty());
        assertEquals(empty, ok("""
                {"request_id":null,"leader_id":null,"read_version":null,"preconditions":null,"operations":[]}"""));
        CommitRequest r = ok("""
                {"read_version":5,"preconditions":[{"type":"point_read","key":"","version":null}],
                 "operations":[{"type":"write","key":"","value":""}]}""");
        assertEquals(Precondition.pointRead(new byte[0]), r.preconditions().get(0));
        assertEquals(Operation.write(new byte[0], new byte[0]), r.operations().get(0));
    }

    @Test
    void fieldsMayComeInAnyOrderAndReadVersionAfterPreconditions() {
        CommitRequest r = ok("""
                {"operations":[{"value":"dg==","key":"aw==","type":"write"}],
                 "preconditions":[{"version":3,"key":"aw==","type":"point_read"},{"end":"Yg==","type":"range_read","begin":"YQ=="}],
                 "read_version":7}""");
        assertEquals(Operation.write(bytes("k"), bytes("v")), r.operations().get(0));
        assertEquals(Precondition.pointRead(bytes("k"), 3), r.preconditions().get(0));
        assertEquals(7, r.effectiveVersion(1));
    }

    @Test
    void stringEscapesAreDecoded() {
        CommitRequest r = ok("{\"request_id\":\"\\u00e9t\\u00e9-\\\"quoted\\\"-\\n-id-long-enough\",\"leader_id\":\"\\u263a\"}");
        assertEquals("été-\"quoted\"-\n-id-long-enough", r.requestId());
        assertEquals("☺", r.leaderId());
    }

    @Test
    void bodyMustBeExactlyOneObject() {
        fails("", "request body: empty");
        fails("  \r\n\t ", "request body: empty");
        fails("[]", "request body: expected a JSON object, got an array");
        fails("\"x\"", "request body: expected a JSON object, got a string");
        fails("42", "request body: expected a JSON object, got an integer");
        fails("null", "request body: expected a JSON object, got null");
        fails("{} {}", "request body: unexpected content after the JSON object");
        fails("{}[", "request body: unexpected content after the JSON object");
        assertEquals(ok("{}"), ok("  {}  \n"));
    }

    @Test
    void syntaxErrorsNameThePosition() {
        assertTrue(parse("{\"read_version\" 1}").error().startsWith("read_version: invalid JSON at line 1, column 17: "),
                parse("{\"read_version\" 1}").error());
        assertTrue(parse("{}x").error().startsWith("request body: invalid JSON at line 1, column"), parse("{}x").error());
        assertTrue(parse("{\n\"operations\": [,]}").error().startsWith("operations[0]: invalid JSON at line 2, column"),
                parse("{\n\"operations\": [,]}").error());
        assertFalse(parse("{\"a\" 1}").error().contains("Source"), "no jackson source dump");
        // Truncated bodies: either jackson or the state machine notices, never a success.
        for (String truncated : new String[] {"{", "{\"operations\":[", "{\"read_version\":12", "{\"request_id\":\"abc"}) {
            String error = parse(truncated).error();
            assertEquals("request body: unexpected end of input", error, truncated);
        }
        assertEquals("request body: unexpected end of input", parse("{\"operations\":[{\"type\":\"delete\",\"key\":\"YQ==\"}").error());
    }

    @Test
    void syntaxErrorsInsideAValueNameItsFieldAndNotJacksonsSettings() {
        for (String body : new String[] {"{\"read_version\":+1}", "{\"read_version\":01}", "{\"read_version\":NaN}"}) {
            String error = parse(body).error();
            assertTrue(error.startsWith("read_version: invalid JSON at line 1, column "), error);
            assertFalse(error.contains("`") || error.contains("JsonReadFeature"), error);
        }
        String nested = parse("{\"operations\":[{\"type\":\"write\",\"key\":tru}]}").error();
        assertTrue(nested.startsWith("operations[0].key: invalid JSON"), nested);
        String longName = parse("{\"" + "k".repeat(60_000) + "\":1}").error();
        assertFalse(longName.contains("`") || longName.contains("StreamReadConstraints"), longName);
    }

    /** Two different byte strings must never become one request id, nor a string that has no UTF-8 form. */
    @Test
    void bodiesThatAreNotUtf8AndUnpairedSurrogatesAreRefused() {
        byte[] prefix = bytes("{\"request_id\":\"" + ID + "-");
        for (byte[] bad : new byte[][] {{(byte) 0xC0, (byte) 0xAF}, {(byte) 0xE0, (byte) 0x80, (byte) 0xAF},
                {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}}) {
            byte[] body = new byte[prefix.length + bad.length + 2];
            System.arraycopy(prefix, 0, body, 0, prefix.length);
            System.arraycopy(bad, 0, body, prefix.length, bad.length);
            body[body.length - 2] = '"';
            body[body.length - 1] = '}';
            ParseHarness.Result r = ParseHarness.parseEveryWay(() -> new JsonCommitRequestParser(LIMITS), body);
            assertEquals("request body: invalid UTF-8 at byte " + prefix.length, r.error());
        }
        // The first error in the body wins, however the body is split: here the unknown field before the bad byte.
        byte[] later = bytes("{\"nope\":1,\"request_id\":\"\u00e9\"}");
        later[later.length - 4] = (byte) 0xC3;
        later[later.length - 3] = (byte) 0x28;
        assertEquals("nope: unknown field", ParseHarness.parseEveryWay(() -> new JsonCommitRequestParser(LIMITS), later).error());
        byte[] cutOff = bytes("{\"request_id\":\"\u20ac");
        byte[] truncated = java.util.Arrays.copyOf(cutOff, cutOff.length - 1);
        assertTrue(ParseHarness.parseEveryWay(() -> new JsonCommitRequestParser(LIMITS), truncated).error()
            .startsWith("request body: invalid UTF-8 at byte " + (truncated.length - 2)), "ends inside a character");

        fails("{\"request_id\":\"" + ID + "\\ud800\"}", "request_id: unpaired surrogate \\uD800 at character " + ID.length());
        fails("{\"leader_id\":\"\\udc00\"}", "leader_id: unpaired surrogate \\uDC00 at character 0");
        assertEquals(ID + "\ud83d\ude00", ok("{\"request_id\":\"" + ID + "\\ud83d\\ude00\"}").requestId(), "a pair is fine");
    }

    @Test
    void unknownAndDuplicateTopLevelFields() {
        fails("{\"foo\":1}", "foo: unknown field");
        fails("{\"read_version\":1,\"Read_Version\":2}", "Read_Version: unknown field");
        fails("{\"read_version\":1,\"read_version\":2}", "read_version: duplicate field");
        fails("{\"operations\":[],\"operations\":null}", "operations: duplicate field");
        String longName = "x".repeat(500);
        assertEquals("x".repeat(64) + "...: unknown field", parse("{\"" + longName + "\":1}").error());
    }

    @Test
    void topLevelTypes() {
        fails("{\"request_id\":12345678901234567890123}", "request_id: expected a string, got an integer");
        fails("{\"leader_id\":true}", "leader_id: expected a string, got a boolean");
        fails("{\"read_version\":\"12\"}", "read_version: expected an integer, got a string");
        fails("{\"read_version\":1.5}", "read_version: expected an integer, got a non-integer number");
        fails("{\"read_version\":1e3}", "read_version: expected an integer, got a non-integer number");
        fails("{\"read_version\":1.0}", "read_version: expected an integer, got a non-integer number");
        fails("{\"read_version\":9223372036854775808}", "read_version: 9223372036854775808 is out of the signed 64-bit range");
        fails("{\"read_version\":-9223372036854775809}", "read_version: -9223372036854775809 is out of the signed 64-bit range");
        fails("{\"read_version\":-1}", "read_version: must be >= 0, got -1");
        assertEquals(Long.MAX_VALUE, ok("{\"read_version\":9223372036854775807}").readVersion());
        assertEquals(0, ok("{\"read_version\":0}").readVersion());
        fails("{\"preconditions\":{}}", "preconditions: expected an array, got an object");
        fails("{\"operations\":\"x\"}", "operations: expected an array, got a string");
    }

    @Test
    void requestIdLength() {
        fails("{\"request_id\":\"short\"}", "request_id: must be at least 20 characters, got 5");
        fails("{\"request_id\":\"" + "a".repeat(19) + "\"}", "request_id: must be at least 20 characters, got 19");
        assertEquals("a".repeat(20), ok("{\"request_id\":\"" + "a".repeat(20) + "\"}").requestId());
        // Counted in characters (code points), not bytes or UTF-16 units: 19 emoji are 38 chars but 19 characters.
        fails("{\"request_id\":\"" + "😀".repeat(19) + "\"}", "request_id: must be at least 20 characters, got 19");
        assertEquals("😀".repeat(20), ok("{\"request_id\":\"" + "😀".repeat(20) + "\"}").requestId());
        fails("{\"request_id\":\"" + "a".repeat(1025) + "\"}", "request_id: must be at most 1024 bytes in UTF-8, got 1025");
        fails("{\"request_id\":\"" + "é".repeat(513) + "\"}", "request_id: must be at most 1024 bytes in UTF-8, got 1026");
        fails("{\"request_id\":\"\"}", "request_id: must be at least 20 characters, got 0");
    }

    @Test
    void elementTypes() {
        fails("{\"preconditions\":[{\"type\":\"point_read\",\"key\":\"YQ==\",\"version\":1},{\"type\":\"foo\"}]}",
                "preconditions[1].type: unknown type \"foo\"");
        fails("{\"operations\":[{\"type\":\"point_read\",\"key\":\"YQ==\"}]}", "operations[0].type: unknown type \"point_read\"");
        fails("{\"preconditions\":[{\"type\":\"write\",\"key\":\"YQ==\"}]}", "preconditions[0].type: unknown type \"write\"");
        fails("{\"operations\":[{\"type\":\"WRITE\",\"key\":\"YQ==\"}]}", "operations[0].type: unknown type \"WRITE\"");
        fails("{\"operations\":[{\"key\":\"YQ==\"}]}", "operations[0].type: required");
        fails("{\"operations\":[{\"type\":null,\"key\":\"YQ==\"}]}", "operations[0].type: required");
        fails("{\"operations\":[{\"type\":1}]}", "operations[0].type: expected a string, got an integer");
        fails("{\"operations\":[{\"type\":\"delete\",\"key\":\"YQ==\"},7]}", "operations[1]: expected an object, got an integer");
        fails("{\"operations\":[[]]}", "operations[0]: expected an object, got an array");
    }

    @Test
    void elementFields() {
        fails("{\"operations\":[{\"type\":\"write\",\"key\":\"YQ==\"}]}", "operations[0].value: required");
        fails("{\"operations\":[{\"type\":\"write\",\"value\":\"YQ==\"}]}", "operations[0].key: required");
        fails("{\"operations\":[{\"type\":\"write\",\"key\":null,\"value\":\"YQ==\"}]}", "operations[0].key: required");
        fails("{\"operations\":[{\"type\":\"delete\"}]}", "operations[0].key: required");
        fails("{\"operations\":[{\"type\":\"range_delete\",\"begin\":\"YQ==\"}]}", "operations[0].end: required");
        fails("{\"operations\":[{\"type\":\"range_delete\",\"end\":\"YQ==\"}]}", "operations[0].begin: required");
        fails("{\"read_version\":1,\"preconditions\":[{\"type\":\"point_read\"}]}", "preconditions[0].key: required");
        fails("{\"read_version\":1,\"preconditions\":[{\"type\":\"range_read\",\"begin\":\"YQ==\"}]}", "preconditions[0].end: required");
        fails("{\"operations\":[{\"type\":\"delete\",\"key\":\"YQ==\",\"value\":\"YQ==\"}]}",
                "operations[0].value: not allowed for type \"delete\"");
        fails("{\"operations\":[{\"type\":\"range_delete\",\"key\":\"YQ==\",\"begin\":\"YQ==\",\"end\":\"YQ==\"}]}",
                "operations[0].key: not allowed for type \"range_delete\"");
        fails("{\"operations\":[{\"type\":\"write\",\"key\":\"YQ==\",\"value\":\"YQ==\",\"end\":\"YQ==\"}]}",
                "operations[0].end: not allowed for type \"write\"");
        fails("{\"read_version\":1,\"preconditions\":[{\"type\":\"range_read\",\"key\":\"YQ==\",\"begin\":\"YQ==\",\"end\":\"YQ==\"}]}",
                "preconditions[0].key: not allowed for type \"range_read\"");
        fails("{\"operations\":[{\"type\":\"write\",\"key\":\"YQ==\",\"value\":\"YQ==\",\"version\":3}]}",
                "operations[0].version: unknown field");
        fails("{\"preconditions\":[{\"type\":\"point_read\",\"key\":\"YQ==\",\"value\":\"YQ==\"}]}",
                "preconditions[0].value: unknown field");
        fails("{\"operations\":[{\"type\":\"delete\",\"key\":\"YQ==\"},{\"type\":\"delete\",\"kee\":\"YQ==\"}]}",
                "operations[1].kee: unknown field");
        fails("{\"operations\":[{\"type\":\"delete\",\"key\":\"YQ==\",\"key\":\"Yg==\"}]}", "operations[0].key: duplicate field");
        fails("{\"operations\":[{\"type\":\"delete\",\"type\":\"delete\",\"key\":\"YQ==\"}]}", "operations[0].type: duplicate field");
        fails("{\"operations\":[{\"type\":\"delete\",\"key\":5}]}", "operations[0].key: expected a base64 string, got an integer");
        fails("{\"operations\":[{\"type\":\"delete\",\"key\":{}}]}", "operations[0].key: expected a base64 string, got an object");
    }

    @Test
    void preconditionVersions() {
        fails("{\"preconditions\":[{\"type\":\"point_read\",\"key\":\"YQ==\"}]}",
                "preconditions[0].version: required when read_version is absent");
        fails("{\"preconditions\":[{\"type\":\"point_read\",\"key\":\"YQ==\",\"version\":1},{\"type\":\"range_read\",\"begin\":\"YQ==\",\"end\":\"YQ==\"}]}",
                "preconditions[1].version: required when read_version is absent");
        fails("{\"preconditions\":[{\"type\":\"point_read\",\"key\":\"YQ==\",\"version\":2.5}]}",
                "preconditions[0].version: expected an integer, got a non-integer number");
        fails("{\"preconditions\":[{\"type\":\"point_read\",\"key\":\"YQ==\",\"version\":\"2\"}]}",
                "preconditions[0].version: expected an integer, got a string");
        fails("{\"preconditions\":[{\"type\":\"point_read\",\"key\":\"YQ==\",\"version\":99999999999999999999}]}",
                "preconditions[0].version: 99999999999999999999 is out of the signed 64-bit range");
        fails("{\"preconditions\":[{\"type\":\"point_read\",\"key\":\"YQ==\",\"version\":-3}]}",
                "preconditions[0].version: must be >= 0, got -3");
        assertEquals(Precondition.pointRead(bytes("a"), 9),
                ok("{\"preconditions\":[{\"type\":\"point_read\",\"key\":\"YQ==\",\"version\":9}]}").preconditions().get(0));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "YQ|length 2 is not a multiple of 4 (standard base64 requires '=' padding)",
        "YQ=|length 3 is not a multiple of 4 (standard base64 requires '=' padding)",
        "YWJj-w==|'-' at offset 4 is URL-safe base64; use the standard alphabet (+ and /)",
        "YWJj_w==|'_' at offset 4 is URL-safe base64; use the standard alphabet (+ and /)",
        "YW Jj===|whitespace at offset 2",
        "YQ==YQ==|'=' at offset 2 before the end",
        "YR==|non-zero padding bits in the last group (non-canonical encoding)",
        "YWJ=|non-zero padding bits in the last group (non-canonical encoding)",
        "YW*j|'*' at offset 2 is not a base64 character",
        "Y===|'=' at offset 1 before the end",
        "====|'=' at offset 0 before the end",
    })
    void invalidBase64IsRefused(String text, String reason) {
        fails("{\"operations\":[{\"type\":\"delete\",\"key\":\"YQ==\"},{\"type\":\"delete\",\"key\":\"YQ==\"},"
                + "{\"type\":\"write\",\"key\":\"YQ==\",\"value\":\"" + text + "\"}]}",
                "operations[2].value: invalid base64: " + reason);
    }

    @Test
    void base64EscapesAndNonAscii() {
        // JSON escapes are undone before decoding: "\u0059Q==" is "YQ==".
        assertEquals(Operation.delete(bytes("a")), ok("{\"operations\":[{\"type\":\"delete\",\"key\":\"\\u0059Q==\"}]}").operations().get(0));
        fails("{\"operations\":[{\"type\":\"delete\",\"key\":\"YQ\\n==\"}]}", "operations[0].key: invalid base64: length 5 is not a multiple of 4 (standard base64 requires '=' padding)");
        fails("{\"operations\":[{\"type\":\"delete\",\"key\":\"Y\\tQ=\"}]}", "operations[0].key: invalid base64: whitespace at offset 1");
        fails("{\"operations\":[{\"type\":\"delete\",\"key\":\"YWé=\"}]}", "operations[0].key: invalid base64: U+00E9 at offset 2 is not a base64 character");
    }

    @Test
    void sizeLimits() {
        String key8 = b64("12345678");
        String key9 = b64("123456789");
        String key10 = b64("1234567890");
        String value16 = b64("0123456789abcdef");
        String value17 = b64("0123456789abcdefg");
        assertEquals(8, ok("{\"operations\":[{\"type\":\"write\",\"key\":\"" + key8 + "\",\"value\":\"" + value16 + "\"}]}")
                .operations().get(0).key().length);
        fails("{\"operations\":[{\"type\":\"write\",\"key\":\"" + key9 + "\",\"value\":\"\"}]}",
                "operations[0].key: 9 bytes exceeds the limit of 8 bytes");
        fails("{\"operations\":[{\"type\":\"write\",\"key\":\"YQ==\",\"value\":\"" + value17 + "\"}]}",
                "operations[0].value: 17 bytes exceeds the limit of 16 bytes");
        fails("{\"operations\":[{\"type\":\"delete\",\"key\":\"" + key9 + "\"}]}", "operations[0].key: 9 bytes exceeds the limit of 8 bytes");
        fails("{\"read_version\":1,\"preconditions\":[{\"type\":\"point_read\",\"key\":\"" + key9 + "\"}]}",
                "preconditions[0].key: 9 bytes exceeds the limit of 8 bytes");
        // Range bounds may be one byte longer than keys, so [k, k\0) can name a maximum-size key.
        ok("{\"operations\":[{\"type\":\"range_delete\",\"begin\":\"" + key9 + "\",\"end\":\"" + key9 + "\"}]}");
        fails("{\"operations\":[{\"type\":\"range_delete\",\"begin\":\"YQ==\",\"end\":\"" + key10 + "\"}]}",
                "operations[0].end: 10 bytes exceeds the limit of 9 bytes");
        fails("{\"read_version\":1,\"preconditions\":[{\"type\":\"range_read\",\"begin\":\"" + key10 + "\",\"end\":\"YQ==\"}]}",
                "preconditions[0].begin: 10 bytes exceeds the limit of 9 bytes");
        // The limit is checked before decoding, so an oversized field fails even if it is not valid base64 further on.
        fails("{\"operations\":[{\"type\":\"delete\",\"key\":\"" + "!".repeat(400) + "\"}]}",
                "operations[0].key: 300 bytes exceeds the limit of 8 bytes");
    }

    @Test
    void defaultLimitsAreTheApiOnes() {
        String key10000 = Base64.getEncoder().encodeToString(new byte[10_000]);
        String key10001 = Base64.getEncoder().encodeToString(new byte[10_001]);
        String value100000 = Base64.getEncoder().encodeToString(new byte[100_000]);
        String value100001 = Base64.getEncoder().encodeToString(new byte[100_001]);
        JsonCommitRequestParser p = new JsonCommitRequestParser(CommitLimits.DEFAULTS);
        byte[] body = bytes("{\"operations\":[{\"type\":\"write\",\"key\":\"" + key10000 + "\",\"value\":\"" + value100000 + "\"}]}");
        assertNull(ParseHarness.parse(p, body, new int[] {body.length}).error());
        body = bytes("{\"operations\":[{\"type\":\"write\",\"key\":\"" + key10001 + "\",\"value\":\"\"}]}");
        assertEquals("operations[0].key: 10001 bytes exceeds the limit of 10000 bytes",
                ParseHarness.parse(new JsonCommitRequestParser(CommitLimits.DEFAULTS), body, new int[] {body.length}).error());
        body = bytes("{\"operations\":[{\"type\":\"write\",\"key\":\"\",\"value\":\"" + value100001 + "\"}]}");
        assertEquals("operations[0].value: 100001 bytes exceeds the limit of 100000 bytes",
                ParseHarness.parse(new JsonCommitRequestParser(CommitLimits.DEFAULTS), body, new int[] {body.length}).error());
    }

    @Test
    void rangesMustNotBeReversed() {
        fails("{\"operations\":[{\"type\":\"delete\",\"key\":\"YQ==\"},{\"type\":\"delete\",\"key\":\"YQ==\"},{\"type\":\"delete\",\"key\":\"YQ==\"},"
                + "{\"type\":\"range_delete\",\"begin\":\"Yg==\",\"end\":\"YQ==\"}]}", "operations[3]: begin > end");
        fails("{\"read_version\":1,\"preconditions\":[{\"type\":\"range_read\",\"begin\":\"YWE=\",\"end\":\"YQ==\"}]}",
                "preconditions[0]: begin > end");
        // Unsigned comparison: 0xFF sorts after 0x01.
        fails("{\"operations\":[{\"type\":\"range_delete\",\"begin\":\"/w==\",\"end\":\"AQ==\"}]}", "operations[0]: begin > end");
        ok("{\"operations\":[{\"type\":\"range_delete\",\"begin\":\"AQ==\",\"end\":\"/w==\"}]}");
        ok("{\"operations\":[{\"type\":\"range_delete\",\"begin\":\"YQ==\",\"end\":\"YQ==\"}]}");  // empty range is fine
        ok("{\"operations\":[{\"type\":\"range_delete\",\"begin\":\"\",\"end\":\"\"}]}");
    }

    @Test
    void firstErrorWinsAndLaterInputIsIgnored() {
        JsonCommitRequestParser p = new JsonCommitRequestParser(LIMITS);
        byte[] first = bytes("{\"foo\":");
        p.feed(first, 0, first.length);
        byte[] garbage = bytes("]]]]{{{not json at all");
        p.feed(garbage, 0, garbage.length);
        CommitRequestException e = assertThrows(CommitRequestException.class, p::finish);
        assertEquals("foo: unknown field", e.getMessage());
    }

    @Test
    void parserIsSingleUse() {
        JsonCommitRequestParser p = new JsonCommitRequestParser(LIMITS);
        byte[] body = bytes("{}");
        p.feed(body, 0, body.length);
        assertTrue(assertDoesNotThrowFinish(p).operations().isEmpty());
        assertThrows(IllegalStateException.class, p::finish);
        assertThrows(IllegalStateException.class, () -> p.feed(body, 0, 2));
        new JsonCommitRequestParser(LIMITS).close();  // abandoned before finish: just releases buffers
    }

    @Test
    void keysAreDecodedToRawBytes() {
        CommitRequest r = ok("{\"operations\":[{\"type\":\"write\",\"key\":\"AP+A\",\"value\":\"//79\"}]}");
        assertArrayEquals(new byte[] {0, (byte) 0xFF, (byte) 0x80}, r.operations().get(0).key());
        assertArrayEquals(new byte[] {(byte) 0xFF, (byte) 0xFE, (byte) 0xFD}, r.operations().get(0).value());
    }

    private static CommitRequest assertDoesNotThrowFinish(CommitRequestParser p) {
        try {
            return p.finish();
        } catch (CommitRequestException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }
}
