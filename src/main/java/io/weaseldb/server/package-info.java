/**
 * The process: command line, wiring of config, storage, pipelines, routes and network, signals and
 * graceful drain, halting on a fatal JVM error. The only package that knows all the others.
 *
 * <p>May call: every other package (it wires them), and {@code sun.misc.Signal} for SIGTERM and SIGINT.
 */
package io.weaseldb.server;
