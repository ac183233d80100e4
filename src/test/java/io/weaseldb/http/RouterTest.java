package io.weaseldb.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

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
    void exactPrefixAndMethodNotAllowed() {
        Handler noop = ex -> { };
        Route ok = new Route("/ok", Method.GET, null, noop);
        Route put = new Route("/v1/retention/{id}", Method.PUT, null, noop);
        Route list = new Route("/v1/retention/", Method.GET, null, noop);
        Router r = new Router().exact("/ok", ok).prefix("/v1/retention/", put).exact("/v1/retention/", list);

        assertSame(ok, r.match(head(Method.GET, "/ok")));
        assertSame(ok, r.match(head(Method.HEAD, "/ok")), "HEAD falls back to GET");
        assertEquals(new Router.MethodNotAllowed("GET, HEAD, OPTIONS"), r.match(head(Method.POST, "/ok")));
        assertSame(put, r.match(head(Method.PUT, "/v1/retention/p1")));
        assertSame(list, r.match(head(Method.GET, "/v1/retention/")));
        assertNull(r.match(head(Method.GET, "/okay")));
        assertNull(r.match(head(Method.GET, "/o")));
    }
}
