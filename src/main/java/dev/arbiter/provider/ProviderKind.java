package dev.arbiter.provider;

import dev.arbiter.config.DeploymentConfig;
import dev.arbiter.config.ProviderRule;
import dev.arbiter.llm.WireFormat;
import java.util.function.Function;

/**
 * One kind of provider, as registered by name in {@link Providers}: what config checks of its deployments
 * ({@link ProviderRule}, whose name is the {@code provider:} value), the wire format its upstream speaks for a given
 * {@code api}, and how to make the provider of one deployment.
 */
public record ProviderKind(ProviderRule rule, Function<String, WireFormat> nativeFormat, Factory factory) {

    /** Makes the provider of one deployment. */
    @FunctionalInterface
    public interface Factory {
        Provider create(DeploymentConfig deployment, Context context);
    }

    /** What a factory is given: the gateway's secrets (masked in upstream text) and its upstream endpoints. */
    public record Context(SecretMask secrets, Upstreams upstreams) {
        /** The HTTP client of {@code d}'s endpoint, as {@code d} uses it. */
        public UpstreamHttp http(DeploymentConfig d) {
            return new UpstreamHttp(d, secrets, upstreams.upstream(d), upstreams.watchdog());
        }
    }

    public String name() {
        return rule.name();
    }
}
