package io.weaseldb.http;

/** Request methods the router understands; anything else parses as {@link #OTHER} (→ 405/404, not 400). */
public enum Method {
    GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH, TRACE, CONNECT, OTHER
}
