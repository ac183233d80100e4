/**
 * Configuration: the TOML schema, its defaults and validation (tomlj). Produces immutable records;
 * a bad file is refused with a message naming the file, key, found value and what is allowed.
 *
 * <p>May call: nothing outside tomlj and the JDK.
 */
package io.weaseldb.config;
