package io.weaseldb.http;

import java.io.IOException;

/**
 * The router's own answers, for requests no registered route takes: 404 for an unknown path, 405 with {@code Allow}
 * for a known path and another method, what a resource or the server allows for OPTIONS (RFC 9110 §9.3.7), and 501
 * for CONNECT. Each is a {@link Route} named {@value #NAME} (one metrics label for all of them, never the raw path),
 * so a connection runs it like any other.
 */
final class Unmatched {
    static final String NAME = "unmatched";
    /** What OPTIONS * says the server as a whole allows. */
    static final String SERVER_ALLOW = "GET, HEAD, POST, PUT, DELETE, OPTIONS";

    private static final byte[] NO_BODY = {};
    private static final String JSON = "application/json";
    /** Client text quoted in a message is cut to this: an 8 KB method need not come back whole. */
    private static final int ECHO_CHARS = 256;

    static final Route NOT_FOUND = route(ex -> error(ex, 404, "not_found", "no such path: " + echo(ex.request().path())));

    static final Route SERVER_OPTIONS = route(ex -> ex.respond(200, null, NO_BODY, 0, 0, "Allow", SERVER_ALLOW));

    /** Its target is an authority, not a path of ours: say what is missing rather than 404 "no such path". */
    static final Route CONNECT = route(ex -> error(ex, 501, "not_implemented",
            "CONNECT is not supported: this server is not a proxy"));

    private Unmatched() { }

    /** For a path whose routes allow {@code allow}: 405 for any other method, and that list for OPTIONS. */
    static Route notAllowed(String allow) {
        return route(ex -> {
            RequestHead h = ex.request();
            if (h.method() == Method.OPTIONS) {
                ex.respond(200, null, NO_BODY, 0, 0, "Allow", allow);
            } else {
                error(ex, 405, "method_not_allowed", echo(h.methodName()) + " is not allowed on " + echo(h.path())
                        + "; allowed: " + allow, "Allow", allow);
            }
        });
    }

    private static Route route(Handler handler) {
        return new Route(NAME, Method.OTHER, null, handler);
    }

    private static void error(Exchange ex, int status, String code, String message, String... headers) throws IOException {
        byte[] b = ErrorBody.json(code, message);
        ex.respond(status, JSON, b, 0, b.length, headers);
    }

    private static String echo(String clientText) {
        return clientText.length() <= ECHO_CHARS ? clientText : clientText.substring(0, ECHO_CHARS) + "…";
    }
}
