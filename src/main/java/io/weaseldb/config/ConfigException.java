package io.weaseldb.config;

/** A configuration the server refuses to start with; the message names file, key, found value and what is allowed. */
public final class ConfigException extends Exception {
    public ConfigException(String message) {
        super(message);
    }
}
