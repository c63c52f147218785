package io.zeroscale.samples.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * The sample is what an outside user writes: every Zeroscale artifact it uses is published in the
 * BOM and takes its version from the BOM, the BOM is imported at the BOM's own version, nothing
 * else is needed at run time, and there is no Zeroscale parent to inherit versions from.
 */
class PomUsesOnlyTheBomTest {
    private static final Path SAMPLE_POM = Path.of("pom.xml");
    private static final Path BOM_POM = Path.of("../../bom/pom.xml");

    @Test
    void zeroscaleDependenciesAreListedInTheBomAndTakeItsVersions() throws Exception {
        Element sample = parse(SAMPLE_POM);
        Element bom = parse(BOM_POM);
        List<String> published = new ArrayList<>();
        for (Element managed : children(child(child(bom, "dependencyManagement"), "dependencies"), "dependency")) {
            published.add(text(managed, "groupId") + ":" + text(managed, "artifactId"));
        }

        assertThat(child(sample, "parent")).as("a <parent>: an outside user has none to inherit versions from").isNull();
        List<Element> imports = children(child(child(sample, "dependencyManagement"), "dependencies"), "dependency").stream()
                .filter(d -> "io.zeroscale".equals(text(d, "groupId")))
                .toList();
        assertThat(imports).as("the one Zeroscale entry in <dependencyManagement> is the BOM import").hasSize(1);
        Element imported = imports.getFirst();
        assertThat(text(imported, "artifactId")).isEqualTo("bom");
        assertThat(text(imported, "scope")).isEqualTo("import");
        assertThat(resolve(sample, text(imported, "version"))).as("the imported BOM's version").isEqualTo(text(bom, "version"));

        List<Element> dependencies = children(child(sample, "dependencies"), "dependency");
        assertThat(dependencies).isNotEmpty();
        for (Element dependency : dependencies) {
            String coordinates = text(dependency, "groupId") + ":" + text(dependency, "artifactId");
            String scope = text(dependency, "scope");
            if (coordinates.startsWith("io.zeroscale:")) {
                assertThat(published).as(coordinates + " must be an artifact the BOM publishes").contains(coordinates);
                assertThat(text(dependency, "version")).as(coordinates + " must take its version from the BOM, not set one").isNull();
            } else {
                assertThat(scope).as(coordinates + ": the service may depend on Zeroscale's SDK artifacts only; others in test scope").isEqualTo("test");
            }
        }
        assertThat(dependencies).as("a Zeroscale test module (testkit): the sample uses only what users ship with")
                .noneMatch(d -> "testkit".equals(text(d, "artifactId")));
    }

    private static String resolve(Element project, String value) {
        if (value.startsWith("${") && value.endsWith("}")) {
            String property = text(child(project, "properties"), value.substring(2, value.length() - 1));
            assertThat(property).as("property " + value).isNotNull();
            return property;
        }
        return value;
    }

    private static Element parse(Path pom) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document document = factory.newDocumentBuilder().parse(pom.toFile());
        return document.getDocumentElement();
    }

    private static Element child(Element parent, String name) {
        if (parent == null) {
            return null;
        }
        for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element element && element.getTagName().equals(name)) {
                return element;
            }
        }
        return null;
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        if (parent != null) {
            for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
                if (node instanceof Element element && element.getTagName().equals(name)) {
                    out.add(element);
                }
            }
        }
        return out;
    }

    private static String text(Element parent, String name) {
        Element element = child(parent, name);
        return element == null ? null : element.getTextContent().trim();
    }
}
