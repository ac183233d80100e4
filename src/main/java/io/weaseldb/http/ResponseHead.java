package io.weaseldb.http;

import java.nio.charset.StandardCharsets;

/**
 * Serializes a response head into an {@link OutputBuffer}: status line, Date, Content-Type, Content-Length
 * (or none for an event stream), Connection, extra fields. Header values from handlers are checked for CR/LF
 * so that no handler can split a response.
 */
public final class ResponseHead {
    private static final byte[] CONTENT_TYPE = ascii("Content-Type: ");
    private static final byte[] CONTENT_LENGTH = ascii("Content-Length: ");
    private static final byte[] CLOSE = ascii("Connection: close\r\n");
    private static final byte[] KEEP_ALIVE = ascii("Connection: keep-alive\r\n");
    private static final byte[] CRLF = ascii("\r\n");
    private static final byte[] COLON_SP = ascii(": ");

    private ResponseHead() { }

    /**
     * @param contentLength body length, or -1 for a body delimited by closing the connection (event streams)
     * @param connection    0 = say nothing (HTTP/1.1 keep-alive default), 1 = "close", 2 = "keep-alive" (HTTP/1.0)
     */
    public static void write(OutputBuffer out, int status, String contentType, long contentLength, int connection,
                             String... headers) {
        out.write(Status.line(status));
        out.write(HttpDate.headerLine());
        if (contentType != null) {
            out.write(CONTENT_TYPE).writeAscii(contentType).write(CRLF);
        }
        if (contentLength >= 0) {
            out.write(CONTENT_LENGTH).writeDecimal(contentLength).write(CRLF);
        }
        if (connection == 1) out.write(CLOSE);
        else if (connection == 2) out.write(KEEP_ALIVE);
        for (int i = 0; i + 1 < headers.length; i += 2) {
            checkFieldValue(headers[i]);
            checkFieldValue(headers[i + 1]);
            out.writeAscii(headers[i]).write(COLON_SP).writeAscii(headers[i + 1]).write(CRLF);
        }
        out.write(CRLF);
    }

    private static void checkFieldValue(String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) throw new IllegalArgumentException("CR/LF/NUL in response header: " + v);
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
