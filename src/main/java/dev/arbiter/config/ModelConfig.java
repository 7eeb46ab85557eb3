package dev.arbiter.config;

import java.util.List;

/**
 * A logical model: the name clients send, other names that resolve to it ({@code aliases}, which may end
 * in {@code *}), and the deployments that serve it.
 *
 * @param embeddings true for an embedding model (served on /v1/embeddings only)
 * @param sections the records of the per-model sections this model set; read them with {@link #section}
 */
public record ModelConfig(String name, List<String> aliases, boolean embeddings, List<DeploymentConfig> deployments,
                          SectionValues sections) {
    public ModelConfig(String name, List<String> aliases, boolean embeddings, List<DeploymentConfig> deployments) {
        this(name, aliases, embeddings, deployments, SectionValues.NONE);
    }

    public ModelConfig {
        sections = sections == null ? SectionValues.NONE : sections;
        aliases = aliases == null ? List.of() : List.copyOf(aliases);
        deployments = deployments == null ? List.of() : List.copyOf(deployments);
        var checks = new ConfigException.Checks();
        checks.require(name != null && !name.isBlank(), "name", name, "a non-empty model name");
        checks.require(!deployments.isEmpty(), "deployments", "[]", "at least one deployment");
        checks.require(deployments.stream().anyMatch(d -> d.weight() > 0),
                "deployments", "all weights 0", "at least one deployment with weight > 0");
        checks.throwIfAny();
    }

    /** A per-model section's record: as bound from this model's entry, or its default. */
    public <T> T section(Section<T> section) {
        return sections.get(section, Section.Scope.MODEL);
    }
}
