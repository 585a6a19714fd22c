package dev.netmem.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LaunchInfoTest {
    @Test
    void shouldWriteThisJvmsJavaAndClassPathForTheScripts(@TempDir Path dir) throws Exception {
        Path env = dir.resolve("launch.env");
        LaunchInfo.main(new String[] {env.toString()});
        assertEquals(List.of("JAVA='" + Path.of(System.getProperty("java.home"), "bin", "java") + "'",
                "CP='" + System.getProperty("java.class.path") + "'"), Files.readAllLines(env));
    }
}
