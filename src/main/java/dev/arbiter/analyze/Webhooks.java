package dev.arbiter.analyze;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends each detection as JSON to the configured URLs, from one thread of its own: {@link #send} only offers the body
 * to a bounded queue and never blocks (a full queue drops the event and counts it), and a slow or failing receiver
 * delays only later events, each POST bounded by a 5 s timeout. No retries: the admin endpoint lists every event.
 */
final class Webhooks implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Webhooks.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final List<URI> urls;
    private final ArrayBlockingQueue<String> queue = new ArrayBlockingQueue<>(256);
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final HttpClient client;
    private final Thread sender;
    private volatile boolean closed;

    Webhooks(List<URI> urls) {
        this.urls = List.copyOf(urls);
        this.client = urls.isEmpty() ? null : HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
        this.sender = urls.isEmpty() ? null : Thread.ofVirtual().name("arbiter-webhooks").start(this::run);
    }

    void send(String json) {
        if (sender != null && !queue.offer(json)) dropped.incrementAndGet();
    }

    long dropped() {
        return dropped.get();
    }

    long failed() {
        return failed.get();
    }

    long sent() {
        return sent.get();
    }

    private void run() {
        while (!closed) {
            String body;
            try {
                body = queue.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (body == null) continue;
            for (URI url : urls) {
                try {
                    var r = client.send(HttpRequest.newBuilder(url).timeout(TIMEOUT).header("content-type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding());
                    if (r.statusCode() / 100 == 2) sent.incrementAndGet();
                    else fail(url, "status " + r.statusCode());
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    fail(url, e.getClass().getSimpleName());
                }
            }
        }
    }

    private void fail(URI url, String why) {
        failed.incrementAndGet();
        // the URL may carry a token in its path or query: name its host only
        log.warn("detection webhook to {} failed: {}", url.getHost(), why);
    }

    @Override
    public void close() {
        closed = true;
        if (sender != null) sender.interrupt();
        if (client != null) client.close();
    }
}
