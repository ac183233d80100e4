/**
 * Service pipelines: one bounded, pre-allocated ring buffer of mutable events per pipeline (LMAX
 * Disruptor style), published to by any number of threads without locks or blocking, and processed
 * by an ordered chain of stages, each on its own platform thread (or N threads for a parallel
 * stage), batching when busy and parking when idle. {@link io.weaseldb.pipeline.Completion} hands
 * results back to the waiting (virtual) thread.
 *
 * <p>Owns: sequences, publication, stage threads, back-pressure (publishing never blocks).
 * May call: Micrometer (its meters). Knows nothing about HTTP or commits.
 */
package io.weaseldb.pipeline;
