package io.weaseldb.http;

import java.nio.charset.StandardCharsets;

/** Pre-encoded status lines, so writing one is a copy. */
public final class Status {
    private static final byte[][] LINES = new byte[600][];

    static {
        String[][] known = {
            {"100", "Continue"}, {"200", "OK"}, {"201", "Created"}, {"204", "No Content"},
            {"400", "Bad Request"}, {"404", "Not Found"}, {"405", "Method Not Allowed"},
            {"408", "Request Timeout"}, {"409", "Conflict"}, {"410", "Gone"}, {"411", "Length Required"},
            {"413", "Content Too Large"}, {"414", "URI Too Long"}, {"415", "Unsupported Media Type"},
            {"417", "Expectation Failed"}, {"431", "Request Header Fields Too Large"},
            {"500", "Internal Server Error"}, {"501", "Not Implemented"}, {"503", "Service Unavailable"},
            {"505", "HTTP Version Not Supported"},
        };
        for (String[] k : known) {
            LINES[Integer.parseInt(k[0])] = ("HTTP/1.1 " + k[0] + " " + k[1] + "\r\n").getBytes(StandardCharsets.US_ASCII);
        }
        for (int i = 100; i < 600; i++) {
            if (LINES[i] == null) LINES[i] = ("HTTP/1.1 " + i + " \r\n").getBytes(StandardCharsets.US_ASCII);
        }
    }

    private Status() { }

    /** {@code "HTTP/1.1 200 OK\r\n"}; status must be 100..599. */
    public static byte[] line(int status) {
        return LINES[status];
    }
}
