package io.weaseldb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RouterTest {
    private static RequestHead head(Method m, String path) {
        RequestHead h = new RequestHead(4);
        h.clear();
        h.buf = path.getBytes(StandardCharsets.US_ASCII);
        h.methodOrdinal = (byte) m.ordinal();
        h.pathStart = 0;
        h.pathEnd = h.buf.length;
        return h;
    }

    @Test
    void exactPrefixAndTheRoutersOwnAnswers() {
        Handler noop = ex -> { };
        Route ok = new Route("/ok", Method.GET, null, noop);
        Route put = new Route("/v1/retention/{id}", Method.PUT, null, noop);
        Route list = new Route("/v1/retention/", Method.GET, null, noop);
        Router r = new Router().exact("/ok", ok).prefix("/v1/retention/", put).exact("/v1/retention/", list);

        assertSame(ok, r.route(head(Method.GET, "/ok")));
        assertSame(ok, r.route(head(Method.HEAD, "/ok")), "HEAD falls back to GET");
        assertSame(put, r.route(head(Method.PUT, "/v1/retention/p1")));
        assertSame(list, r.route(head(Method.GET, "/v1/retention/")));

        // A known path with another method: that path's 405 (and OPTIONS answer), one per path.
        Route okNotAllowed = r.route(head(Method.POST, "/ok"));
        assertEquals(Unmatched.NAME, okNotAllowed.name());
        assertSame(okNotAllowed, r.route(head(Method.DELETE, "/ok")));
        assertSame(okNotAllowed, r.route(head(Method.OPTIONS, "/ok")));
        assertNotSame(okNotAllowed, r.route(head(Method.POST, "/v1/retention/p1")));

        assertSame(Unmatched.NOT_FOUND, r.route(head(Method.GET, "/okay")));
        assertSame(Unmatched.NOT_FOUND, r.route(head(Method.GET, "/o")));
        assertSame(Unmatched.NOT_FOUND, r.route(head(Method.OTHER, "/nope")));
        assertSame(Unmatched.CONNECT, r.route(head(Method.CONNECT, "")));
        assertTrue(r.routes().stream().noneMatch(x -> x.name().equals(Unmatched.NAME)), "only registered routes are listed");
    }
}
