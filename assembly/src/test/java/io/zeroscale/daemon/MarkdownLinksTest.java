package io.zeroscale.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.commonmark.node.AbstractVisitor;
import org.commonmark.node.Code;
import org.commonmark.node.Heading;
import org.commonmark.node.Image;
import org.commonmark.node.Link;
import org.commonmark.node.Node;
import org.commonmark.node.Text;
import org.commonmark.parser.Parser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every link of every Markdown file in the repository (READMEs, docs/) resolves inside the
 * repository: the file or folder exists, a {@code #fragment} names a heading of the linked file,
 * and no link points to another site or outside the clone. Docs are read by people with only
 * the repository; a link that leaves it rots, or never worked.
 */
class MarkdownLinksTest {
    private static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");
    private static final Parser MARKDOWN = Parser.builder().build();

    @Test
    void everyLinkOfEveryReadmeAndDocResolvesInsideTheRepository() {
        assertThat(REPOSITORY.resolve("docs/architecture.md")).as("run from the assembly module").exists();
        assertThat(problems(REPOSITORY)).isEmpty();
    }

    @Test
    void theCheckFindsEveryKindOfBadLink(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("docs"));
        Files.writeString(root.resolve("docs/a.md"), """
                # A page

                ## Shared keys (`metrics.<name>`)

                [fine](../README.md), [here](#shared-keys-metricsname), [folder](.), [heading](../README.md#readme)
                [missing](b.md), [gone](#nope), [other heading](../README.md#nope)
                [web](https://example.com/x), <http://example.com>, [mail](mailto:x@example.com)
                [outside](../../elsewhere/DESIGN.md), [absolute](/etc/passwd) ![img](pic.png)

                    [in code](https://example.com) is not a link
                """);
        Files.writeString(root.resolve("README.md"), "# Readme\n");

        assertThat(problems(root)).containsExactly(
                "docs/a.md: [missing](b.md): no such file in the repository",
                "docs/a.md: [gone](#nope): docs/a.md has no heading #nope",
                "docs/a.md: [other heading](../README.md#nope): README.md has no heading #nope",
                "docs/a.md: [web](https://example.com/x): links outside the repository; link a file of the repository, or"
                        + " write the address as code",
                "docs/a.md: [http://example.com](http://example.com): links outside the repository; link a file of the"
                        + " repository, or write the address as code",
                "docs/a.md: [mail](mailto:x@example.com): links outside the repository; link a file of the repository, or"
                        + " write the address as code",
                "docs/a.md: [outside](../../elsewhere/DESIGN.md): leaves the repository; link a file of the repository",
                "docs/a.md: [absolute](/etc/passwd): absolute path; link relative to docs/a.md",
                "docs/a.md: [img](pic.png): no such file in the repository");
    }

    /** Every bad link under {@code root}, as "file: [text](target): problem". */
    static List<String> problems(Path root) {
        List<String> problems = new ArrayList<>();
        Map<Path, Set<String>> anchors = new HashMap<>();
        for (Path file : markdownFiles(root)) {
            String name = root.relativize(file).toString();
            Node document = parse(file);
            document.accept(new AbstractVisitor() {
                @Override
                public void visit(Link link) {
                    check(link.getDestination(), textOf(link));
                    visitChildren(link);
                }

                @Override
                public void visit(Image image) {
                    check(image.getDestination(), textOf(image));
                }

                private void check(String destination, String text) {
                    String problem = problem(root, file, destination, anchors);
                    if (problem != null) {
                        problems.add(name + ": [" + text + "](" + destination + "): " + problem);
                    }
                }
            });
        }
        return problems;
    }

    private static String problem(Path root, Path file, String destination, Map<Path, Set<String>> anchors) {
        if (SCHEME.matcher(destination).find()) {
            return "links outside the repository; link a file of the repository, or write the address as code";
        }
        if (destination.startsWith("/")) {
            return "absolute path; link relative to " + root.relativize(file);
        }
        int hash = destination.indexOf('#');
        String pathPart = hash < 0 ? destination : destination.substring(0, hash);
        String fragment = hash < 0 ? "" : destination.substring(hash + 1);
        Path target = pathPart.isEmpty() ? file : file.getParent().resolve(pathPart).normalize();
        if (!target.startsWith(root)) {
            return "leaves the repository; link a file of the repository";
        }
        if (!Files.exists(target)) {
            return "no such file in the repository";
        }
        if (!fragment.isEmpty() && target.toString().endsWith(".md")
                && !anchors.computeIfAbsent(target, MarkdownLinksTest::headingAnchors).contains(fragment)) {
            return root.relativize(target) + " has no heading #" + fragment;
        }
        return null;
    }

    private static List<Path> markdownFiles(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            return paths.filter(path -> path.toString().endsWith(".md") && Files.isRegularFile(path))
                    .filter(path -> !skipped(root.relativize(path)))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Build output and hidden folders (.git, .ci, tool caches) are not the repository's docs. */
    private static boolean skipped(Path relative) {
        for (Path part : relative) {
            String name = part.toString();
            if (name.equals("target") || name.equals("node_modules") || name.startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static Node parse(Path file) {
        try {
            return MARKDOWN.parse(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
    private static Set<String> headingAnchors(Path file) {
        Set<String> anchors = new LinkedHashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        parse(file).accept(new AbstractVisitor() {
            @Override
            public void visit(Heading heading) {
                String slug = textOf(heading).toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
                int count = seen.merge(slug, 1, Integer::sum);
                anchors.add(count == 1 ? slug : slug + "-" + (count - 1));
            }
        });
        return anchors;
    }

    private static String textOf(Node node) {
        StringBuilder text = new StringBuilder();
        node.accept(new AbstractVisitor() {
            @Override
            public void visit(Text literal) {
                text.append(literal.getLiteral());
            }

            @Override
            public void visit(Code code) {
                text.append(code.getLiteral());
            }
        });
        return text.toString();
    }
}
