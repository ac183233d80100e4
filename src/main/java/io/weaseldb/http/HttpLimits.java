package io.weaseldb.http;

/**
 * Protocol limits the parser enforces.
 *
 * @param maxRequestLineBytes request line longer than this (without CRLF) → 414
 * @param maxHeaderBytes      header block (all field lines incl. CRLFs, excluding the request line) larger → 431;
 *                            the same limit bounds a chunked body's trailer section
 * @param maxBodyBytes        decoded body larger → 413 (from Content-Length before reading, or as soon as chunks cross it)
 * @param maxHeaderCount      more field lines than this → 431
 */
public record HttpLimits(int maxRequestLineBytes, int maxHeaderBytes, long maxBodyBytes, int maxHeaderCount) {
    public static final HttpLimits DEFAULT = new HttpLimits(8192, 16384, 1 << 20, 100);
}
