package dev.arbiter.auth;

import dev.arbiter.pipeline.Caller;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class CallerResolverTest {
    private final CallerResolver resolver = new CallerResolver("0123456789abcdef0123456789abcdef".getBytes());

    @Test
    void resolve_noCredential_isAnonymous() {
        assertThat(resolver.resolve(Optional.empty(), Optional.empty())).isEqualTo(Caller.ANONYMOUS);
        assertThat(resolver.resolve(Optional.of("Bearer "), Optional.of("  "))).isEqualTo(Caller.ANONYMOUS);
    }

    @Test
    void resolve_sameCredentialEitherHeader_isTheSameCaller() {
        Caller bearer = resolver.resolve(Optional.of("Bearer sk-alice"), Optional.empty());
        Caller apiKey = resolver.resolve(Optional.empty(), Optional.of("sk-alice"));
        assertThat(bearer).isEqualTo(apiKey).isNotEqualTo(Caller.ANONYMOUS);
    }

    @Test
    void resolve_differentCredentials_areDifferentCallers() {
        assertThat(resolver.resolve(Optional.of("Bearer sk-alice"), Optional.empty()))
                .isNotEqualTo(resolver.resolve(Optional.of("Bearer sk-bob"), Optional.empty()));
    }

    @Test
    void resolve_idHoldsNoPartOfTheCredential() {
        Caller c = resolver.resolve(Optional.of("Bearer sk-alice-secret"), Optional.empty());
        assertThat(c.id()).startsWith("key:").doesNotContain("alice").doesNotContain("secret");
    }

    @Test
    void resolve_otherGatewayKey_givesOtherIds() {
        var other = new CallerResolver("fedcba9876543210fedcba9876543210".getBytes());
        assertThat(other.resolve(Optional.of("Bearer sk-alice"), Optional.empty()))
                .isNotEqualTo(resolver.resolve(Optional.of("Bearer sk-alice"), Optional.empty()));
    }
}
