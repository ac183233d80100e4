/**
 * HTTP/1.1 as bytes: the streaming request parser (RFC 9112 state machine) and its request-target rules, body decoders,
 * the request view handed to handlers, the response writer, and the path router.
 *
 * <p>Owns: protocol rules and limits. Knows nothing about sockets or threads.
 * May call: nothing outside the JDK and itself.
 */
package io.weaseldb.http;
