package io.weaseldb.http;

/**
 * A request the server must refuse with a given status; after it the connection is closed
 * (the parser never continues past an error, so nothing can be smuggled behind it).
 * Thrown often by hostile clients, so it carries no stack trace.
 */
public final class HttpException extends Exception {
    private final int status;
    private final String code;
    private final String[] headers;
    private static final String[] NO_HEADERS = {};

    public HttpException(int status, String code, String message) {
        this(status, code, message, NO_HEADERS);
    }

    private HttpException(int status, String code, String message, String... headers) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.headers = headers;
    }

    /** HTTP status to answer with (400, 408, 413, 414, 431, 501, 505, ...). */
    public int status() { return status; }

    /** Short machine-readable code for the error body and the parse-error metric, e.g. {@code bad_request}. */
    public String code() { return code; }

    /** Extra response header fields, as name/value pairs (empty for most errors). */
    public String[] headers() { return headers.clone(); }

    public static HttpException badRequest(String message) { return new HttpException(400, "bad_request", message); }
    public static HttpException uriTooLong(String message) { return new HttpException(414, "uri_too_long", message); }
    public static HttpException headersTooLarge(String message) { return new HttpException(431, "header_too_large", message); }
    public static HttpException payloadTooLarge(String message) { return new HttpException(413, "payload_too_large", message); }
    public static HttpException notImplemented(String message) { return new HttpException(501, "not_implemented", message); }
    public static HttpException versionNotSupported(String message) { return new HttpException(505, "version_not_supported", message); }

    /** A body in a content coding we do not decode (RFC 9110 §8.4): 415, naming the one coding we take. */
    public static HttpException unsupportedContentCoding(String message) {
        return new HttpException(415, "unsupported_media_type", message, "Accept-Encoding", "identity");
    }
}
