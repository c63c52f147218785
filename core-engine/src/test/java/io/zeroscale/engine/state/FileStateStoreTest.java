package io.zeroscale.engine.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStateStoreTest {
    @TempDir
    Path root;

    private final FileStateStore store = new FileStateStore(Path.of("unused"), InstantSource.fixed(Instant.ofEpochMilli(1234)));

    private FileStateStore store() {
        return new FileStateStore(root, InstantSource.fixed(Instant.ofEpochMilli(1234)));
    }

    @Test
    void writesReplaceWholeDocumentsAndLeaveNoTemporaryFile() throws IOException {
        FileStateStore files = store();
        assertThat(files.read("targets/web.json")).isEmpty();
        files.write("targets/web.json", bytes("{\"a\":1}"));
        files.write("targets/web.json", bytes("{\"a\":2}"));
        assertThat(files.read("targets/web.json")).hasValueSatisfying(doc -> assertThat(text(doc)).isEqualTo("{\"a\":2}"));
        assertThat(root.resolve("targets/web.json")).hasContent("{\"a\":2}");
        try (Stream<Path> all = Files.list(root.resolve("targets"))) {
            assertThat(all.map(path -> path.getFileName().toString())).containsExactly("web.json");
        }
    }

    @Test
    void keysListDocumentsButNotTheOnesSetAside() {
        FileStateStore files = store();
        files.write("targets/a.json", bytes("1"));
        files.write("targets/b.json", bytes("2"));
        files.write("journal.json", bytes("3"));
        String aside = files.setAside("targets/b.json", "unreadable");

        assertThat(aside).isEqualTo(root.resolve("targets/b.json.corrupt-1234").toString());
        assertThat(Path.of(aside)).hasContent("2");
        assertThat(files.read("targets/b.json")).isEmpty();
        assertThat(files.keys("targets/")).containsExactly("targets/a.json");
        assertThat(files.keys("")).containsExactlyInAnyOrder("targets/a.json", "journal.json");

        files.delete("targets/a.json");
        files.delete("targets/a.json");
        assertThat(files.keys("targets/")).isEmpty();
    }

    @Test
    void keysOfAPrefixAreListedFromItsDirectoryWhateverTheRestHolds() {
        FileStateStore files = store();
        files.write("history/web/2026-01-01.csv", bytes("1"));
        files.write("history/web/2026-01-02.csv", bytes("2"));
        files.write("history/web2/2026-01-01.csv", bytes("3"));
        files.write("history/api/2026-01-01.csv", bytes("4"));
        files.write("series/web.json", bytes("5"));

        assertThat(files.keys("history/web/")).containsExactlyInAnyOrder("history/web/2026-01-01.csv", "history/web/2026-01-02.csv");
        // A prefix that ends inside a segment matches every key that starts so, in any directory.
        assertThat(files.keys("history/web")).containsExactlyInAnyOrder("history/web/2026-01-01.csv", "history/web/2026-01-02.csv",
                "history/web2/2026-01-01.csv");
        assertThat(files.keys("history/web/2026-01-02")).containsExactly("history/web/2026-01-02.csv");
        assertThat(files.keys("hist")).hasSize(4);
        assertThat(files.keys("history/")).hasSize(4);
        assertThat(files.keys("history/none/")).isEmpty();
        assertThat(files.keys("series/web.json/")).isEmpty();
        assertThat(files.keys("../history/")).isEmpty();
        assertThat(files.keys("/history/")).isEmpty();
    }

    @Test
    void keysThatWouldLeaveTheDirectoryAreRefused() {
        assertThatThrownBy(() -> store.file("../escape.json")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'../escape.json'");
        assertThatThrownBy(() -> store.file("targets//x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.file("a/b c")).isInstanceOf(IllegalArgumentException.class);
        assertThat(store.location("targets/web%2Fapi.json")).endsWith("targets/web%2Fapi.json");
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
