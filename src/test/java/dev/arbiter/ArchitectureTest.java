package dev.arbiter;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The package map holds: no cycles between packages, the fake model and the load harness reached only from the CLI
 * wiring, and the wire formats and the model below everything that uses them.
 */
@AnalyzeClasses(packages = "dev.arbiter", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
    @ArchTest
    static final ArchRule noPackageCycles = slices().matching("dev.arbiter.(*)..").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule mockAndBenchOnlyFromTheCli = noClasses()
            .that().resideOutsideOfPackages("dev.arbiter.cli..", "dev.arbiter.mock..", "dev.arbiter.bench..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.arbiter.mock..", "dev.arbiter.bench..");

    @ArchTest
    static final ArchRule bottomLayersDependOnNothingAbove = noClasses()
            .that().resideInAnyPackage("dev.arbiter.error..", "dev.arbiter.llm..", "dev.arbiter.wire..", "dev.arbiter.pipeline..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.arbiter.api..", "dev.arbiter.cli..", "dev.arbiter.route..",
                    "dev.arbiter.provider..", "dev.arbiter.observe..", "dev.arbiter.limit..", "dev.arbiter.store..",
                    "dev.arbiter.chat..", "dev.arbiter.messages..", "dev.arbiter.responses..", "dev.arbiter.config..");

    @ArchTest
    static final ArchRule httpEdgeOnlyFromTheCli = noClasses()
            .that().resideOutsideOfPackages("dev.arbiter.api..", "dev.arbiter.cli..")
            .should().dependOnClassesThat().resideInAPackage("dev.arbiter.api..");
}
