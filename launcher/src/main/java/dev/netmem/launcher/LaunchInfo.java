package dev.netmem.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the JDK and class path Maven selected to a file, so the launcher can start netmem programs
 * with plain {@code java} (clean exit codes and stdout) after one Maven build. Run by each launched
 * module's {@code exec:exec@launch-info} on that module's runtime class path.
 */
public final class LaunchInfo {
    private LaunchInfo() {
    }

    /** {@code LaunchInfo <output-file>}: writes {@code JAVA=...} and {@code CP=...} lines. */
    public static void main(String[] args) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Files.writeString(Path.of(args[0]), "JAVA='" + java + "'\nCP='" + System.getProperty("java.class.path")
                + "'\n");
    }
}
