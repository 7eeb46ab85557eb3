package dev.arbiter.config;

import dev.arbiter.reasoning.ReasoningConfig;
import dev.arbiter.store.StoreConfig;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/** The whole configuration: composed of each feature's own record; cross-record checks live here. */
public record ArbiterConfig(ServerConfig server, LimitsConfig limits, List<ModelConfig> models, ReasoningConfig reasoning,
                            StoreConfig responses) {
    public ArbiterConfig(ServerConfig server, LimitsConfig limits, List<ModelConfig> models) {
        this(server, limits, models, ReasoningConfig.GENERATED, StoreConfig.DEFAULT);
    }

    public ArbiterConfig {
        reasoning = reasoning == null ? ReasoningConfig.GENERATED : reasoning;
        responses = responses == null ? StoreConfig.DEFAULT : responses;
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

    public ArbiterConfig withServer(ServerConfig s) {
        return new ArbiterConfig(s, limits, models, reasoning, responses);
    }
}
