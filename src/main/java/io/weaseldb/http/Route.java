package io.weaseldb.http;

/**
 * A registered endpoint.
 *
 * @param name     route template used as the metrics label (bounded set, never the raw path), e.g. {@code /v1/retention/{id}}
 * @param method   the method it answers
 * @param pipeline name of the service pipeline its work is posted to, or null for the fast path (runs inline)
 * @param handler  the logic
 */
public record Route(String name, Method method, String pipeline, Handler handler) {
    public boolean inline() { return pipeline == null; }
}
