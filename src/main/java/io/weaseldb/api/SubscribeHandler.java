package io.weaseldb.api;

import io.weaseldb.http.ErrorBody;
import io.weaseldb.http.Exchange;
import io.weaseldb.http.Handler;
import io.weaseldb.http.HttpException;
import io.weaseldb.http.Method;
import io.weaseldb.http.RequestHead;
import io.weaseldb.http.Route;
import io.weaseldb.storage.LogTruncatedException;
import io.weaseldb.stream.ChangeFeed;
import io.weaseldb.stream.StreamControl;
import io.weaseldb.stream.Subscription;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /v1/subscribe[?after_version=N]}: a Server-Sent-Events stream of every committed transaction after N
 * (a {@code Last-Event-ID} header takes precedence; with neither, live only). Runs inline on the connection's
 * virtual thread for as long as the stream lasts; the streaming itself is {@link Subscription#stream}.
 *
 * <ul>
 *   <li>400 when the start version is not an integer ≥ 0 (naming {@code after_version} or {@code Last-Event-ID}),
 *       or is newer than the latest version (no such event was ever sent).</li>
 *   <li>410 {@code {"error":"log_truncated","oldest_version":M}} when versions after N are no longer in the log.</li>
 *   <li>HEAD answers the head only (200, {@code text/event-stream}) after the same checks.</li>
 * </ul>
 */
public final class SubscribeHandler implements Handler {
    public static final String PATH = "/v1/subscribe";

    private final ChangeFeed feed;

    public SubscribeHandler(ChangeFeed feed) {
        this.feed = feed;
    }

    /** The route to register with {@code router.exact(SubscribeHandler.PATH, route)}; runs inline (no pipeline). */
    public static Route route(ChangeFeed feed) {
        return new Route(PATH, Method.GET, null, new SubscribeHandler(feed));
    }

    @Override
    public void handle(Exchange ex) throws IOException, HttpException {
        RequestHead h = ex.request();
        long after;
        String lastEventId = h.header("Last-Event-ID");
        String afterParam = h.queryParam("after_version");
        if (lastEventId != null) {
            after = parseVersion(lastEventId.strip());
            if (after < 0) {
                badRequest(ex, "Last-Event-ID: expected an event id (a version, an integer ≥ 0) but found \"" + lastEventId + "\"");
                return;
            }
        } else if (afterParam != null) {
            after = parseVersion(afterParam);
            if (after < 0) {
                badRequest(ex, "after_version: expected an integer ≥ 0 but found \"" + afterParam + "\"");
                return;
            }
        } else {
            after = ChangeFeed.LIVE;
        }
        long latest = feed.latestVersion();
        if (after > latest) {
            badRequest(ex, (lastEventId != null ? "Last-Event-ID: " : "after_version: ") + after
                + " is newer than the latest version " + latest);
            return;
        }
        Exchanged control = new Exchanged(ex);
        Subscription sub;
        try {
            sub = feed.subscribe(after, control);
        } catch (LogTruncatedException e) {
            byte[] body = ("{\"error\":\"log_truncated\",\"oldest_version\":" + e.oldestVersion() + "}").getBytes(StandardCharsets.US_ASCII);
            ex.respond(410, "application/json", body);
            return;
        }
        if (h.method() == Method.HEAD) {
            // The same head as GET's (no Content-Length: the stream's length is unknown; Connection: close), no body.
            ex.openStream(200, "text/event-stream", "Cache-Control", "no-cache");
            return;
        }
        OutputStream out = ex.openStream(200, "text/event-stream", "Cache-Control", "no-cache");
        sub.stream(out);
    }

    /** A decimal integer ≥ 0 (no sign, no spaces), or -1. */
    static long parseVersion(String s) {
        if (s.isEmpty() || s.length() > 19) return -1;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') return -1;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1; // above Long.MAX_VALUE
        }
    }

    private static void badRequest(Exchange ex, String message) throws IOException {
        ex.respond(400, "application/json", ErrorBody.json("bad_request", message));
    }

    /** The exchange as the feed sees it. */
    private record Exchanged(Exchange ex) implements StreamControl {
        @Override
        public boolean draining() {
            return ex.draining();
        }

        @Override
        public void abort() {
            ex.abort();
        }

        @Override
        public boolean clientGone() {
            return ex.peerClosed();
        }

        @Override
        public void wake(Thread t) {
            ex.threadWaker().accept(t);
        }

        @Override
        public void yieldToOthers() {
            ex.yieldToOthers();
        }
    }
}
