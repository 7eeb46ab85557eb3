package dev.arbiter.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/**
 * The whole configuration: the server, the gateway-wide limits and the models, which Arbiter cannot run without,
 * and each feature's own record by its {@link Section}. Cross-record checks live here.
 *
 * @param sections the records of the top-level sections the file set; read them with {@link #section}
 */
public record ArbiterConfig(ServerConfig server, LimitsConfig limits, List<ModelConfig> models, SectionValues sections) {
    public ArbiterConfig(ServerConfig server, LimitsConfig limits, List<ModelConfig> models) {
        this(server, limits, models, SectionValues.NONE);
    }

    public ArbiterConfig {
        sections = sections == null ? SectionValues.NONE : sections;
        models = List.copyOf(models);
        var problems = new ArrayList<String>();
        var names = new HashSet<String>();
        for (ModelConfig m : models) {
            if (!names.add(m.name())) problems.add(ConfigException.problem("models." + m.name(), m.name(), "a unique model name"));
            for (String a : m.aliases()) {
                if (!a.endsWith("*") && !names.add(a)) {
                    problems.add(ConfigException.problem("models." + m.name() + ".aliases", a, "a name no other model or alias uses"));
                }
            }
            var deploymentNames = new HashSet<String>();
            for (DeploymentConfig d : m.deployments()) {
                if (!deploymentNames.add(d.name())) {
                    problems.add(ConfigException.problem("models." + m.name() + ".deployments", d.name(), "unique deployment names within a model"));
                }
            }
        }
        if (!problems.isEmpty()) throw new ConfigException(problems);
    }

    /** A top-level section's record: as bound from the file, or its default. */
    public <T> T section(Section<T> section) {
        return sections.get(section, Section.Scope.TOP);
    }

    public ArbiterConfig withServer(ServerConfig s) {
        return new ArbiterConfig(s, limits, models, sections);
    }
}
