/**
 * The process: command line, wiring of config, storage, pipelines, routes and network, signals and
 * graceful drain. The only package that knows all the others.
 */
package io.weaseldb.server;
