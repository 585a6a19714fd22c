package dev.netmem.rxqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.zcrx.IoUringZcrx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.MemberRefEntry;
import java.lang.classfile.constantpool.NameAndTypeEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.classfile.constantpool.Utf8Entry;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layering rule of the rxqueue module, checked on the compiled classes (every class a class
 * names in its constant pool: types, field and method owners, descriptors and signatures), so it
 * cannot rot silently:
 * <ul>
 *   <li>{@code net} (skb, the {@code netif_receive_skb} seam, the device as the stack sees it) names
 *       no other layer;</li>
 *   <li>the NIC and its driver ({@code nic}) name only {@code net} of the layers above it: never a
 *       socket, the netdev family, the wire or io_uring;</li>
 *   <li>the emulated wire names the NIC and {@code net}, nothing above;</li>
 *   <li>the stack names only {@code net}: never a driver, the netdev family or io_uring;</li>
 *   <li>the netdev family names no io_uring (zcrx) type;</li>
 *   <li>io_uring's zcrx receive ({@code zcrx}) sits on top and may name any layer;</li>
 *   <li>the JFR events ({@code jfr}) name no layer, so that every layer may emit them.</li>
 * </ul>
 */
class LayeringTest {
    private static final String BASE = "dev/netmem/rxqueue/";
    private static final String ZCRX_PROVIDER = "dev/netmem/providers/zcrx/";

    /** Layer → packages (internal-name prefixes) it must not name. */
    private static final Map<String, List<String>> FORBIDDEN = Map.of(
            "net", List.of(BASE + "nic/", BASE + "wire/", BASE + "stack/", BASE + "netdev/", BASE + "zcrx/",
                    ZCRX_PROVIDER),
            "nic", List.of(BASE + "wire/", BASE + "stack/", BASE + "netdev/", BASE + "zcrx/", ZCRX_PROVIDER),
            "wire", List.of(BASE + "stack/", BASE + "netdev/", BASE + "zcrx/", ZCRX_PROVIDER),
            "stack", List.of(BASE + "nic/", BASE + "wire/", BASE + "netdev/", BASE + "zcrx/", ZCRX_PROVIDER),
            "netdev", List.of(BASE + "wire/", BASE + "zcrx/", ZCRX_PROVIDER),
            "zcrx", List.of(),
            "jfr", List.of(BASE + "net/", BASE + "nic/", BASE + "wire/", BASE + "stack/", BASE + "netdev/",
                    BASE + "zcrx/", ZCRX_PROVIDER));

    private static final Pattern CLASS_IN_DESCRIPTOR = Pattern.compile("L([\\w/$]+)[;<]");

    @Test
    void shouldKeepEveryLayerToWhatItMayName() throws IOException {
        Path root = classesRoot();
        Set<String> seenLayers = new TreeSet<>();
        Set<String> violations = new TreeSet<>();
        try (Stream<Path> files = Files.walk(root.resolve(BASE))) {
            for (Path p : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String layer = root.resolve(BASE).relativize(p).getName(0).toString();
                assertTrue(FORBIDDEN.containsKey(layer), "a class outside the known layers: " + p
                        + " (add its package to the rule and to the package docs)");
                seenLayers.add(layer);
                violations.addAll(violations(Files.readAllBytes(p), layer));
            }
        }
        assertEquals(FORBIDDEN.keySet(), seenLayers, "every layer has classes");
        assertEquals(Set.of(), violations, "classes naming a layer their own must not name");
    }

    @Test
    void shouldReportAViolationWhenAClassNamesAForbiddenLayer() throws IOException {
        // The checker itself can fail: zcrx's receive names the stack and io_uring types, which the
        // stack's rule forbids, and the NIC names the NIC, which the stack's rule forbids.
        Set<String> asStack = violations(classBytes(IoUringZcrx.class), "stack");
        assertTrue(asStack.stream().anyMatch(v -> v.contains("dev/netmem/providers/zcrx/ZcrxIfq")), asStack::toString);
        assertFalse(violations(classBytes(NetDevice.class), "stack").isEmpty());
        assertEquals(Set.of(), violations(classBytes(NetDevice.class), "nic"));
    }

    /** The classes {@code bytes} names that {@code layer} must not name, as "class -> named". */
    static Set<String> violations(byte[] bytes, String layer) {
        ClassModel cm = ClassFile.of().parse(bytes);
        String self = cm.thisClass().asInternalName();
        Set<String> out = new TreeSet<>();
        for (String named : namedClasses(cm)) {
            for (String bad : FORBIDDEN.get(layer)) {
                if (named.startsWith(bad)) {
                    out.add(self + " -> " + named);
                }
            }
        }
        return out;
    }

    /** Every class the constant pool names: class entries and the classes inside descriptors and signatures. */
    private static Set<String> namedClasses(ClassModel cm) {
        Set<String> names = new TreeSet<>();
        for (PoolEntry e : cm.constantPool()) {
            switch (e) {
                case ClassEntry c -> addDescriptor(names, c.asInternalName().startsWith("[")
                        ? c.asInternalName() : "L" + c.asInternalName() + ";");
                case MemberRefEntry m -> addDescriptor(names, m.type().stringValue());
                case NameAndTypeEntry nt -> addDescriptor(names, nt.type().stringValue());
                case Utf8Entry u -> addDescriptor(names, u.stringValue());
                default -> { }
            }
        }
        return names;
    }

    private static void addDescriptor(Set<String> names, String s) {
        Matcher m = CLASS_IN_DESCRIPTOR.matcher(s);
        while (m.find()) {
            names.add(m.group(1));
        }
    }

    private static byte[] classBytes(Class<?> c) throws IOException {
        return Files.readAllBytes(classesRoot().resolve(c.getName().replace('.', '/') + ".class"));
    }

    private static Path classesRoot() {
        try {
            return Path.of(NetDevice.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }
}
