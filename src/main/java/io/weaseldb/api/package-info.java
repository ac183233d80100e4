/**
 * HTTP endpoint handlers of the v1 API: they adapt requests to the commit pipeline, the change feed and
 * storage, and turn answers into responses.
 *
 * <p>May call: {@code http}, {@code commit}, {@code stream}, {@code storage}, {@code pipeline}; jackson-core for the
 * retention endpoints' JSON.
 */
package io.weaseldb.api;
