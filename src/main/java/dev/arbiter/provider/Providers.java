package dev.arbiter.provider;

import dev.arbiter.config.ConfigException;
import dev.arbiter.config.DeploymentConfig;
import dev.arbiter.config.ProviderRule;
import dev.arbiter.llm.WireFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The providers a gateway knows, by name, written once in the CLI wiring: a new provider is its package (a
 * {@link Provider} and its {@link ProviderKind}) plus one entry there. Config validates deployments against the
 * registry's {@link #rules()}; routing asks it for a deployment's provider and native format.
 */
public final class Providers {
    private final Map<String, ProviderKind> byName;

    private Providers(Map<String, ProviderKind> byName) {
        this.byName = byName;
    }

    /** A registry of {@code kinds}; two with one name are a programming error. */
    public static Providers of(ProviderKind... kinds) {
        var byName = new LinkedHashMap<String, ProviderKind>();
        for (ProviderKind k : kinds) {
            if (byName.putIfAbsent(k.name(), k) != null) throw new IllegalArgumentException("two providers named " + k.name());
        }
        return new Providers(byName);
    }

    /** What config checks of each provider's deployments, in registration order. */
    public List<ProviderRule> rules() {
        return byName.values().stream().map(ProviderKind::rule).toList();
    }

    public Optional<ProviderKind> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The provider of deployment {@code d}. */
    public Provider create(DeploymentConfig d, ProviderKind.Context context) {
        return kind(d).factory().create(d, context);
    }

    /** The wire format {@code d}'s upstream speaks natively. */
    public WireFormat nativeFormat(DeploymentConfig d) {
        return kind(d).nativeFormat().apply(d.api());
    }

    private ProviderKind kind(DeploymentConfig d) {
        ProviderKind k = byName.get(d.provider());
        if (k == null) {
            throw new ConfigException(ConfigException.problem("deployment " + d.name() + ".provider", d.provider(),
                    "one of " + String.join(", ", new TreeSet<>(byName.keySet()))));
        }
        return k;
    }
}
