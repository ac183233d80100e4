/**
 * HTTP endpoint handlers of the v1 API: adapt requests to commit/stream/storage.
 *
 * <p>May call: {@code http}, {@code commit}, {@code stream}, {@code storage}, {@code pipeline}, {@code metrics}.
 */
package io.weaseldb.api;
