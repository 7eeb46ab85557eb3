package dev.arbiter.provider;

import java.io.IOException;
import java.net.SocketException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.hc.client5.http.EndpointInfo;
import org.apache.hc.client5.http.HttpRoute;
import org.apache.hc.client5.http.impl.DefaultConnectionKeepAliveStrategy;
import org.apache.hc.client5.http.io.ConnectionEndpoint;
import org.apache.hc.client5.http.io.HttpClientConnectionManager;
import org.apache.hc.client5.http.io.LeaseRequest;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.EndpointDetails;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.NoHttpResponseException;
import org.apache.hc.core5.http.impl.io.HttpRequestExecutor;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * The pooled plain-HTTP connections to one upstream, as Apache HttpClient's pool keeps them, with what its minimal
 * client leaves out.
 *
 * <p>Servers close idle keep-alive connections on their own schedule, often without a {@code Connection: close}:
 * llama.cpp's server answers with {@code Keep-Alive: timeout=5} and closes the connection well before that, and
 * uvicorn and others close after a few seconds. A request written to such a connection fails before any byte of an
 * answer arrives ({@link NoHttpResponseException}, or a reset or broken pipe). Browsers and Apache's full client
 * retry those; the minimal client Arbiter uses (see {@link UpstreamHttp}) does not, and it also keeps every reusable
 * connection for ever, ignoring the server's {@code Keep-Alive: timeout}. This class wraps the pool to add both:
 * <ul>
 *   <li>an exchange that fails on a <em>reused</em> connection before any response byte arrived is reported as
 *       {@link StaleConnection}, so the caller can send it once more on a new connection, which
 *       {@link #fresh()}'s view of the same pool always opens. A failure on a new connection, or after response bytes,
 *       is never retried: the upstream may have acted on the request.
 *   <li>a connection is returned to the pool for no longer than the upstream's {@code Keep-Alive: timeout} allows,
 *       less a margin so it is not reused just as the upstream closes it; one with too short an allowance is closed.
 *       ({@code Connection: close} answers are already closed by the client's reuse strategy.)
 * </ul>
 * Each leased connection's own byte and response counters tell a reused connection and a response that began.
 */
final class UpstreamConnections implements HttpClientConnectionManager {
    /** Most of the margin below an upstream's keep-alive allowance, since a request takes time to reach it. */
    private static final long MAX_KEEP_ALIVE_MARGIN_MS = 1000;

    private final HttpClientConnectionManager pool;
    private final boolean fresh;

    UpstreamConnections(HttpClientConnectionManager pool) {
        this(pool, false);
    }

    private UpstreamConnections(HttpClientConnectionManager pool, boolean fresh) {
        this.pool = pool;
        this.fresh = fresh;
    }

    /** The same pool, but every lease gets a new connection (a pooled one it picks is closed first). */
    UpstreamConnections fresh() {
        return new UpstreamConnections(pool, true);
    }

    /** An exchange failed on a reused connection before any byte of an answer: safe to send once more. */
    static final class StaleConnection extends IOException {
        StaleConnection(IOException cause) {
            super("reused connection closed by the upstream: " + cause, cause);
        }
    }

    @Override
    public LeaseRequest lease(String id, HttpRoute route, Timeout requestTimeout, Object state) {
        LeaseRequest lease = pool.lease(id, route, requestTimeout, state);
        return new LeaseRequest() {
            @Override
            public ConnectionEndpoint get(Timeout timeout) throws InterruptedException, ExecutionException, TimeoutException {
                ConnectionEndpoint e = lease.get(timeout);
                if (fresh && e.isConnected()) e.close(CloseMode.IMMEDIATE);
                return new Endpoint(e);
            }

            @Override
            public boolean cancel() {
                return lease.cancel();
            }
        };
    }

    @Override
    public void release(ConnectionEndpoint endpoint, Object newState, TimeValue validDuration) {
        Endpoint e = (Endpoint) endpoint;
        TimeValue keep = validDuration;
        if (e.allowed != null) {
            long ms = e.allowed.toMilliseconds();
            long keepMs = ms - Math.min(MAX_KEEP_ALIVE_MARGIN_MS, ms / 2);
            // the pool reads a duration <= 0 as "for ever", so a connection with no time left is closed instead
            if (keepMs <= 0) e.inner.close(CloseMode.GRACEFUL);
            else if (!TimeValue.isPositive(keep) || keep.toMilliseconds() > keepMs) keep = TimeValue.ofMilliseconds(keepMs);
        }
        pool.release(e.inner, newState, keep);
    }

    @Override
    public void connect(ConnectionEndpoint endpoint, TimeValue connectTimeout, HttpContext context) throws IOException {
        pool.connect(((Endpoint) endpoint).inner, connectTimeout, context);
    }

    @Override
    public void upgrade(ConnectionEndpoint endpoint, HttpContext context) throws IOException {
        pool.upgrade(((Endpoint) endpoint).inner, context);
    }

    @Override
    public void close(CloseMode closeMode) {
        pool.close(closeMode);
    }

    @Override
    public void close() throws IOException {
        pool.close();
    }

    /** One leased connection: runs the exchange through the pool's endpoint, watching how it fails or ends. */
    private static final class Endpoint extends ConnectionEndpoint {
        private final ConnectionEndpoint inner;
        /** The upstream's Keep-Alive timeout from the last answer, or null when it gave none. */
        private volatile TimeValue allowed;

        Endpoint(ConnectionEndpoint inner) {
            this.inner = inner;
        }

        @Override
        public ClassicHttpResponse execute(String id, ClassicHttpRequest request, HttpRequestExecutor executor,
                                           HttpContext context) throws IOException, HttpException {
            return execute(id, request, executor::execute, context);
        }

        @Override
        public ClassicHttpResponse execute(String id, ClassicHttpRequest request, RequestExecutor executor,
                                           HttpContext context) throws IOException, HttpException {
            return inner.execute(id, request, (req, conn, ctx) -> {
                EndpointDetails details = conn.getEndpointDetails();
                long responses = details == null ? 0 : details.getResponseCount();
                long received = details == null ? 0 : details.getReceivedBytesCount();
                ClassicHttpResponse res;
                try {
                    res = executor.execute(req, conn, ctx);
                } catch (NoHttpResponseException | SocketException e) {
                    // reused (it answered before) and silent since: the upstream had closed it
                    if (responses > 0 && details.getReceivedBytesCount() == received) throw new StaleConnection(e);
                    throw e;
                }
                allowed = res.containsHeader("keep-alive")
                        ? DefaultConnectionKeepAliveStrategy.INSTANCE.getKeepAliveDuration(res, ctx) : null;
                return res;
            }, context);
        }

        @Override
        public boolean isConnected() {
            return inner.isConnected();
        }

        @Override
        public void setSocketTimeout(Timeout timeout) {
            inner.setSocketTimeout(timeout);
        }

        @Override
        public EndpointInfo getInfo() {
            return inner.getInfo();
        }

        @Override
        public void close(CloseMode closeMode) {
            inner.close(closeMode);
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }
    }
}
