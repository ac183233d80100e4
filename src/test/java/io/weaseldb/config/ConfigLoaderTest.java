package io.weaseldb.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {
    private static String refusal(String toml) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.parse("f.toml", toml)).getMessage();
    }

    @Test
    void shippedFileEqualsEmbeddedDefaults() throws Exception {
        assertEquals(ServerConfig.defaults(), ConfigLoader.load(Path.of("config/weaseldb.toml")));
    }

    /** Every schema key appears in the shipped file with its default and the schema's one-line comment. */
    @Test
    void shippedFileDocumentsEveryKey() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("config/weaseldb.toml"));
        for (Map.Entry<String, List<Key>> table : Schema.TABLES.entrySet()) {
            for (Key k : table.getValue()) {
                assertTrue(lines.stream().anyMatch(l -> l.startsWith(k.name() + " = ") && l.contains("# " + k.doc())),
                    "config/weaseldb.toml lacks " + table.getKey() + "." + k.name() + " with comment '" + k.doc() + "'");
            }
        }
    }

    @Test
    void defaults() throws Exception {
        ServerConfig c = ConfigLoader.parse("f.toml", "");
        assertEquals(8080, c.http().port());
        assertEquals(1 << 20, c.http().maxRequestSizeBytes());
        assertEquals(1024, c.http().pipeline("commit_status").ringBufferSize());
        assertTrue(c.storage().fsync());
    }

    /** A host name is looked up once, when the file is checked; the server binds to what it resolved to then. */
    @Test
    void aBindAddressIsResolvedOnceAndKeptAsTyped() throws Exception {
        ServerConfig c = ConfigLoader.parse("f.toml", "[http]\nbind_address = \"localhost\"\n");
        assertEquals("localhost", c.http().bindAddress());
        assertTrue(c.http().bindIp().isLoopbackAddress(), c.http().bindIp().toString());
        assertTrue(ConfigLoader.parse("f.toml", "").http().bindIp().isAnyLocalAddress());
    }

    /** Files as editors write them: a UTF-8 byte order mark and CRLF line ends are read; bytes that are not UTF-8 are named. */
    @Test
    void aByteOrderMarkAndCrlfAreReadAndNonUtf8IsRefusedClearly(@TempDir Path dir)
            throws Exception {
        Path bom = dir.resolve("bom.toml");
        Files.write(bom, "\uFEFF[http]\r\nport = 81\r\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(81, ConfigLoader.load(bom).http().port());
        Path latin1 = dir.resolve("latin1.toml");
        Files.write(latin1, "# caf\u00e9\n[http]\nport = 81\n".getBytes(StandardCharsets.ISO_8859_1));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(latin1));
        assertEquals(latin1 + ": not valid UTF-8 (TOML files are UTF-8)", e.getMessage());
    }

    @Test
    void overridesAreRead() throws Exception {
        ServerConfig c = ConfigLoader.parse("f.toml", """
            [http]
            port = 0
            network_threads = 3
            [http.pipelines.commit_status]
            ring_buffer_size = 8
            [storage]
            data_dir = "/tmp/x"
            fsync = false
            """);
        assertEquals(0, c.http().port());
        assertEquals(3, c.http().networkThreads());
        assertEquals(8, c.http().pipeline("commit_status").ringBufferSize());
        assertEquals(Path.of("/tmp/x"), c.storage().dataDir());
        assertFalse(c.storage().fsync());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "[http]\\nport = \"eighty\"| f.toml: http.port: expected an integer 0..65535, found string \"eighty\"",
        "[http]\\nport = 70000| f.toml: http.port: expected an integer 0..65535, found integer 70000",
        "[http]\\nport = 1.5| f.toml: http.port: expected an integer 0..65535, found float 1.5",
        "[http]\\nprot = 1| f.toml: http.prot: unknown key; allowed: bind_address, port,",
        "[htp]\\nport = 1| f.toml: htp: unknown key; allowed tables: http, storage, commit, subscription, metrics",
        "http = 5| f.toml: http: expected a table, found integer 5",
        "[storage]\\nfsync = \"yes\"| f.toml: storage.fsync: expected a boolean (true or false), found string \"yes\"",
        "[storage]\\ndata_dir = \"\"| f.toml: storage.data_dir: expected a non-empty string, found string \"\"",
        "[http.pipelines.commit_status]\\nring_buffer_size = 1000| f.toml: http.pipelines.commit_status.ring_buffer_size: expected a power of two",
        "[http.pipelines.commit_status]\\nthreads = -1| f.toml: http.pipelines.commit_status.threads: expected an integer 0..256, found integer -1",
        "[http.pipelines.commit_status]\\nlayout = \"joined\"| f.toml: http.pipelines.commit_status.layout: expected one of \"auto\", \"split\", \"fused\", found string \"joined\"",
        "[http.pipelines.commit_status]\\nlayout = 2| f.toml: http.pipelines.commit_status.layout: expected one of \"auto\", \"split\", \"fused\", found integer 2",
        "[commit]\\nmin_request_id_length = 0| f.toml: commit.min_request_id_length: expected an integer 1..1024, found integer 0",
        "[http.pipelines.other]\\nthreads = 1| f.toml: http.pipelines.other: unknown pipeline; known: commit_status",
        "[http]\\nport = 80\\nport = 81| f.toml:3:1: invalid TOML",
        "[http]\\nbind_address = \"999.1.1.1\"| f.toml: http.bind_address: expected an IP address or a host name that resolves, found string \"999.1.1.1\"",
    })
    void refusals(String toml, String expectedPrefix) {
        String msg = refusal(toml.replace("\\n", "\n"));
        assertTrue(msg.startsWith(expectedPrefix.strip()), () -> "got: " + msg);
    }
}
