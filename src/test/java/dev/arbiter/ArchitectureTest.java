package dev.arbiter;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package map holds: no cycles between packages (a subpackage counts as a package of its own), the fake model and the load harness reached only from the CLI
 * wiring, and the wire formats and the model below everything that uses them. Each rule's {@code check} fails the
 * test with every violating dependency listed.
 */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(new ImportOption.DoNotIncludeTests()).importPackages("dev.arbiter");
    }

    @Test
    void packages_haveNoCycles() {
        slices().matching("dev.arbiter.(**)").should().beFreeOfCycles().check(classes);
    }

    @Test
    void mockAndBench_areReachedOnlyFromTheCli() {
        noClasses().that().resideOutsideOfPackages("dev.arbiter.cli..", "dev.arbiter.mock..", "dev.arbiter.bench..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.arbiter.mock..", "dev.arbiter.bench..").check(classes);
    }

    @Test
    void bottomLayers_dependOnNothingAbove() {
        noClasses().that().resideInAnyPackage("dev.arbiter.error..", "dev.arbiter.llm..", "dev.arbiter.wire..", "dev.arbiter.pipeline..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.arbiter.api..", "dev.arbiter.cli..", "dev.arbiter.route..",
                        "dev.arbiter.provider..", "dev.arbiter.observe..", "dev.arbiter.limit..", "dev.arbiter.store..",
                        "dev.arbiter.chat..", "dev.arbiter.messages..", "dev.arbiter.responses..", "dev.arbiter.config..")
                .check(classes);
    }

    @Test
    void httpEdge_isReachedOnlyFromTheCli() {
        noClasses().that().resideOutsideOfPackages("dev.arbiter.api..", "dev.arbiter.cli..")
                .should().dependOnClassesThat().resideInAPackage("dev.arbiter.api..").check(classes);
    }

    @Test
    void classesWereImported() {
        org.assertj.core.api.Assertions.assertThat(classes.containPackage("dev.arbiter.route")).isTrue();
    }
}
