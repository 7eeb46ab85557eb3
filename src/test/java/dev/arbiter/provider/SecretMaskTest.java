package dev.arbiter.provider;

import static org.assertj.core.api.Assertions.assertThat;

import dev.arbiter.config.DeploymentConfig;
import dev.arbiter.config.Secret;
import dev.arbiter.config.SectionValues;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretMaskTest {
    private static DeploymentConfig deployment(String key, Map<String, String> headers) {
        return new DeploymentConfig("d", "openai", "m", URI.create("http://127.0.0.1:1/v1"),
                key == null ? null : new Secret(key, "(literal)"), 1, null, null, Duration.ofSeconds(1),
                Duration.ofSeconds(1), 0, null, headers, SectionValues.NONE);
    }

    @Test
    void mask_configuredKeysOfAnyShape_replacedLiterally() {
        var mask = SecretMask.of(List.of(deployment("hunter2", Map.of()), deployment("0123456789abcdef", Map.of())));
        assertThat(mask.mask("Incorrect API key provided: hunter2 (also 0123456789abcdef)"))
                .isEqualTo("Incorrect API key provided: **** (also ****)");
    }

    @Test
    void mask_secretHeaderValues_andTheirTokenAfterAScheme() {
        var mask = SecretMask.of(List.of(deployment(null, Map.of("Authorization", "Bearer tok-123456789",
                "x-goog-api-key", "AIzaSecretValue", "x-team", "platform-team"))));
        assertThat(mask.mask("got tok-123456789 and AIzaSecretValue for platform-team"))
                .isEqualTo("got **** and **** for platform-team");
    }

    @Test
    void mask_jsonEscapedForm_andLongestFirst() {
        var mask = SecretMask.of(List.of(deployment("pa\"ss/word-1", Map.of()), deployment("secret-1", Map.of()),
                deployment("secret-1-longer", Map.of())));
        assertThat(mask.mask("{\"message\":\"bad key pa\\\"ss\\/word-1\"}")).isEqualTo("{\"message\":\"bad key ****\"}");
        assertThat(mask.mask("{\"message\":\"bad key pa\\\"ss/word-1\"}")).isEqualTo("{\"message\":\"bad key ****\"}");
        assertThat(mask.mask("secret-1-longer")).isEqualTo("****");
    }

    @Test
    void mask_shortValuesLeft_keyShapedTextStillMasked() {
        var mask = SecretMask.of(List.of(deployment("none", Map.of())));
        assertThat(mask.mask("tool_choice none with sk-abcdefghijkl")).isEqualTo("tool_choice none with ****");
    }
}
