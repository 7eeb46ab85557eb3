package dev.arbiter.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arbiter.cli.Sections;
import dev.arbiter.config.ArbiterConfig;
import dev.arbiter.config.ConfigException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CacheConfigTest {
    static ArbiterConfig parse(String yaml) {
        return Sections.loader(k -> null).parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "test.yaml");
    }

    static final String MODEL = "models:\n  - name: m\n    deployments: [{name: d, provider: mock}]\n";

    @Test
    void absentBlock_isOff() {
        assertThat(parse(MODEL).section(CacheConfig.SECTION).configured()).isFalse();
    }

    @Test
    void fullBlock_binds_includingTheSemanticBlock() {
        var c = parse("""
                cache:
                  exact: {ttl: 10m, max-bytes: 1048576, normalize-whitespace: true}
                  semantic: {threshold: 0.93, model: all-minilm-l6-v2, guards: [], lookup-timeout: 250ms}
                  tiers: [memory, redis, postgres]
                  non-deterministic: bypass
                  exclude: ["(?i)password"]
                  namespace: shared-1
                  write: sync
                  tier-timeout: 30ms
                """ + MODEL).section(CacheConfig.SECTION);
        assertThat(c.configured()).isTrue();
        assertThat(c.ttl()).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.maxBytes()).isEqualTo(1048576);
        assertThat(c.normalizeWhitespace()).isTrue();
        assertThat(c.tiers()).containsExactly(CacheConfig.TierKind.MEMORY, CacheConfig.TierKind.REDIS, CacheConfig.TierKind.POSTGRES);
        assertThat(c.nonDeterministic()).isEqualTo(CacheConfig.NonDeterministic.BYPASS);
        assertThat(c.exclude()).hasSize(1);
        assertThat(c.namespace()).isEqualTo("shared-1");
        assertThat(c.asyncWrites()).isFalse();
        assertThat(c.semantic().enabled()).isTrue();
        assertThat(c.semantic().config().threshold()).isEqualTo(0.93);
        assertThat(c.semantic().config().model()).isEqualTo("all-minilm-l6-v2");
        assertThat(c.semantic().config().guards()).isEmpty();
        assertThat(c.semantic().config().maxEntries()).isEqualTo(dev.arbiter.cache.semantic.SemanticConfig.DEFAULT.maxEntries());
        assertThat(c.semantic().lookupTimeout()).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void semanticModel_asAMapping_namesAnUpstreamEmbeddingsModel() {
        var c = parse("""
                cache:
                  semantic:
                    model: {upstream: embeddings, dimensions: 512, timeout: 5s}
                    lookup-timeout: 500ms
                models:
                  - name: embeddings
                    embeddings: true
                    deployments: [{name: oai, provider: openai, base-url: "http://127.0.0.1:9/v1", api-key: "k",
                                   model: text-embedding-3-small}]
                """).section(CacheConfig.SECTION);
        assertThat(c.semantic().upstream()).isEqualTo(new dev.arbiter.cache.semantic.SemanticConfig.Upstream("embeddings", 512, Duration.ofSeconds(5)));
        assertThat(c.semantic().config().model()).isEqualTo("upstream:embeddings");
        assertThat(parse("cache: {semantic: {model: all-minilm-l6-v2}}\n" + MODEL).section(CacheConfig.SECTION).semantic().upstream()).isNull();
        assertThatThrownBy(() -> parse("cache: {semantic: {model: {upstream: e, dimensions: -1, colour: red}}}\n" + MODEL))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cache.semantic.model.dimensions: -1")
                .hasMessageContaining("cache.semantic.model.colour");
    }

    @Test
    void invalidValues_areRejectedWithTheirPath() {
        assertThatThrownBy(() -> parse("""
                cache:
                  exact: {ttl: 0s}
                  tiers: [redis, disk]
                  non-deterministic: maybe
                  exclude: ["("]
                  semantic: {threshold: 2}
                """ + MODEL))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cache.tiers: disk (expected: memory | redis | postgres)")
                .hasMessageContaining("cache.non-deterministic: maybe (expected: cache | bypass)")
                .hasMessageContaining("cache.exclude")
                .hasMessageContaining("cache.semantic.threshold");
    }

    @Test
    void modelBlock_overrides() {
        var cfg = parse("cache: {exact: {ttl: 1h}}\n" + MODEL.replace("    deployments", "    cache: {enabled: false, exact: {ttl: 5m}, exclude: [x]}\n    deployments"));
        var own = cfg.models().getFirst().section(ModelCacheConfig.SECTION);
        assertThat(own.enabled()).isFalse();
        assertThat(own.ttl()).isEqualTo(Duration.ofMinutes(5));
        assertThat(own.exclude()).hasSize(1);
    }

    @Test
    void semanticBlock_unknownKeysAndBadValues_areRejectedWithTheirPath() {
        assertThatThrownBy(() -> parse("cache: {semantic: {threshold: 0.9, index: hnsw, model: bge-huge, lookup-timeout: 0s}}\n" + MODEL))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("cache.semantic.index")
                .hasMessageContaining("cache.semantic.model: bge-huge")
                .hasMessageContaining("cache.semantic.lookup-timeout");
    }

    @Test
    void modelsSemanticBlock_overridesThresholdOrTurnsItOff_butNotTheSharedEmbedder() {
        var cfg = parse("cache: {semantic: {threshold: 0.97}}\n"
                + MODEL.replace("    deployments", "    cache: {semantic: {threshold: 0.9, guards: [numbers, negations]}}\n    deployments"));
        var own = cfg.models().getFirst().section(ModelCacheConfig.SECTION).semantic();
        var top = cfg.section(CacheConfig.SECTION).semantic().config();
        assertThat(own.applyTo(top).threshold()).isEqualTo(0.9);
        assertThat(own.applyTo(top).guards()).hasSize(2);
        assertThat(own.applyTo(top).model()).isEqualTo(top.model());
        var off = parse(MODEL.replace("    deployments", "    cache: {semantic: {enabled: false}}\n    deployments"));
        assertThat(off.models().getFirst().section(ModelCacheConfig.SECTION).semantic().enabled()).isFalse();
        assertThatThrownBy(() -> parse(MODEL.replace("    deployments",
                "    cache: {semantic: {model: all-minilm-l6-v2, threshold: 7}}\n    deployments")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("models[0].cache.semantic.model: all-minilm-l6-v2 (expected: set in the top-level cache.semantic only")
                .hasMessageContaining("models[0].cache.semantic.threshold: 7");
    }

    @Test
    void benchConfig_hasItsCachedModel() {
        var cfg = Sections.loader(k -> null).load(Path.of("bench/bench.yaml"));
        assertThat(cfg.models()).anySatisfy(m -> {
            assertThat(m.name()).isEqualTo("bench-chat-cached");
            assertThat(m.section(ModelCacheConfig.SECTION).enabled()).isTrue();
        });
        assertThat(cfg.section(CacheConfig.SECTION).configured()).isFalse();
    }
}
