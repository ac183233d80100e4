package io.weaseldb.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.weaseldb.config.ConfigLoader;
import io.weaseldb.config.ServerConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What "cannot start" says for problems made for real: data directories (the JDK's messages are bare paths), a port in use. */
class StartupErrorTest {
    @TempDir
    Path dir;

    @Test
    void aDataDirectoryProblemNamesThePathAndTheReason() throws IOException {
        Path file = Files.writeString(dir.resolve("data"), "x");
        // data_dir is a regular file: the log directory cannot be made inside it
        IOException e = assertThrows(IOException.class, () -> Files.createDirectories(file.resolve("log")));
        assertEquals(file.resolve("log") + ": Not a directory", Main.describe(e));  // the OS's reason, when the JDK has one
        IOException missing = assertThrows(IOException.class, () -> Files.readString(dir.resolve("absent")));
        assertEquals(dir.resolve("absent") + ": no such file or directory", Main.describe(missing));
        IOException notDir = assertThrows(IOException.class, () -> Files.newDirectoryStream(file).close());
        assertEquals(file + ": not a directory", Main.describe(notDir));
        assertEquals("log damaged at 12", Main.describe(new IOException("log damaged at 12")));
        // What Files.createDirectories throws when the log directory's name is taken by a file (no OS reason given)
        Path log = Files.writeString(dir.resolve("log"), "x");
        IOException taken = assertThrows(IOException.class, () -> Files.createDirectories(log));
        assertEquals(log + ": exists and is not a directory", Main.describe(taken));
    }

    @Test
    void aPortInUseNamesTheAddressAndTheSettings() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ServerConfig cfg = ConfigLoader.parse("test.toml", "[http]\nbind_address = \"127.0.0.1\"\nport = " + taken.getLocalPort()
                + "\n[storage]\ndata_dir = \"" + dir.resolve("data") + "\"\n");
            IOException e = assertThrows(IOException.class, () -> WeaselServer.start(cfg).shutdown());
            assertEquals("cannot listen on 127.0.0.1:" + taken.getLocalPort() + " (http.bind_address, http.port): Address already in use",
                Main.describe(e));
        }
    }
}
