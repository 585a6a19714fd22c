package dev.netmem.providers.dmabuf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DmabufTest {
    @TempDir
    Path dir;

    @Test
    void shouldCreateAMode0600FileRoundedUpToWholePages() throws Exception {
        try (Dmabuf d = Dmabuf.create(dir, 5000)) {
            assertEquals(8192, d.size());
            assertEquals(8192, Files.size(d.path()));
            assertEquals(dir, d.path().getParent());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(d.path())));
            assertTrue(d.isCreator());
        }
    }

    @Test
    void shouldCreateUnderDevShmByDefaultAndDeleteOnLastClose() {
        Dmabuf d = Dmabuf.create(4096);
        Path p = d.path();
        assertEquals(Dmabuf.DEFAULT_DIR, p.getParent());
        assertTrue(Files.exists(p));
        d.close();
        assertFalse(Files.exists(p));
    }

    @Test
    void shouldRejectANonPositiveSize() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Dmabuf.create(dir, 0));
        assertEquals("dmabuf size must be > 0: 0", e.getMessage());
    }

    @Test
    void shouldShareBytesWithAnotherMappingAndNeverDeleteAFileItOnlyOpened() {
        Dmabuf created = Dmabuf.create(dir, 3 * 4096);
        Dmabuf opened = Dmabuf.open(created.path());
        assertFalse(opened.isCreator());
        assertEquals(created.size(), opened.size());
        created.segment().set(ValueLayout.JAVA_LONG, 4096, 0x1122334455667788L);
        assertEquals(0x1122334455667788L, opened.segment().get(ValueLayout.JAVA_LONG, 4096));
        opened.segment().set(ValueLayout.JAVA_BYTE, 3 * 4096 - 1, (byte) 7);
        assertEquals(7, created.segment().get(ValueLayout.JAVA_BYTE, 3 * 4096 - 1));
        opened.close();
        assertTrue(Files.exists(created.path()));
        created.close();
        assertFalse(Files.exists(created.path()));
    }

    @Test
    void shouldDeleteOnlyWhenTheLastReferenceIsDropped() {
        Dmabuf d = Dmabuf.create(dir, 4096);
        assertSame(d, d.get());
        assertEquals(2, d.refCount());
        d.close();
        assertTrue(Files.exists(d.path()));
        d.close();
        assertEquals(0, d.refCount());
        assertFalse(Files.exists(d.path()));
        d.close(); // idempotent once closed
        IllegalStateException e = assertThrows(IllegalStateException.class, d::get);
        assertEquals("dmabuf " + d.path() + " is closed", e.getMessage());
    }
}
