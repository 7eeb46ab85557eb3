package dev.arbiter.cli;

import dev.arbiter.analyze.AnalyzerConfig;
import dev.arbiter.cache.CacheConfig;
import dev.arbiter.cache.ModelCacheConfig;
import dev.arbiter.config.ConfigLoader;
import dev.arbiter.config.Section;
import dev.arbiter.db.PostgresConfig;
import dev.arbiter.dedup.SingleFlightConfig;
import dev.arbiter.decide.CatalogConfig;
import dev.arbiter.decide.RoutesConfig;
import dev.arbiter.auth.AuthConfig;
import dev.arbiter.auth.StaticKeys;
import dev.arbiter.budget.BudgetConfig;
import dev.arbiter.limit.ConcurrencyConfig;
import dev.arbiter.limit.LimitSpec;
import dev.arbiter.limit.RateLimitConfig;
import dev.arbiter.db.RedisConfig;
import dev.arbiter.observe.ObserveConfig;
import dev.arbiter.mock.MockConfig;
import dev.arbiter.reasoning.ReasoningConfig;
import dev.arbiter.resilience.BreakerConfig;
import dev.arbiter.resilience.Fallbacks;
import dev.arbiter.resilience.RetryConfig;
import dev.arbiter.resilience.SharedStateConfig;
import dev.arbiter.route.HedgeConfig;
import dev.arbiter.route.LoadBalancing;
import dev.arbiter.store.StoreConfig;
import java.util.List;
import java.util.function.Function;

/**
 * Every config section a feature adds to the core (server, limits, models), written once: a new section is its
 * record's {@code SECTION} plus one line here. The order is the order in which an unknown key's problem lists them.
 */
public final class Sections {
    public static final List<Section<?>> ALL = List.of(
            PostgresConfig.SECTION,
            RedisConfig.SECTION,
            ObserveConfig.SECTION,
            AnalyzerConfig.SECTION,
            ReasoningConfig.SECTION,
            StoreConfig.SECTION,
            RetryConfig.SECTION,
            Fallbacks.SECTION,
            BreakerConfig.SECTION,
            SharedStateConfig.SECTION,
            LoadBalancing.SECTION,
            HedgeConfig.SECTION,
            SingleFlightConfig.SECTION,
            RoutesConfig.SECTION,
            CatalogConfig.SECTION,
            MockConfig.SECTION,
            AuthConfig.SECTION,
            StaticKeys.SECTION,
            RateLimitConfig.SECTION,
            ConcurrencyConfig.SECTION,
            LimitSpec.MODEL,
            LimitSpec.DEPLOYMENT,
            BudgetConfig.SECTION,
            CacheConfig.SECTION,
            ModelCacheConfig.SECTION);

    private Sections() {
    }

    /** The loader of Arbiter's whole configuration, with its providers, reading {@code ${VAR}} from {@code env}. */
    public static ConfigLoader loader(Function<String, String> env) {
        return new ConfigLoader(env, ALL).withProviders(Gateway.PROVIDERS.rules());
    }
}
