package dev.arbiter.api;

import dev.arbiter.config.ServerConfig;
import dev.arbiter.error.ArbiterException;
import dev.arbiter.observe.AccessLog;
import dev.arbiter.pipeline.Watchdog;
import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.buffers.DataWriter;
import io.helidon.common.socket.HelidonSocket;
import io.helidon.common.socket.PeerInfo;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ListenerContext;
import io.helidon.webserver.ProxyProtocolData;
import io.helidon.webserver.Router;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionSelector;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;
import io.helidon.common.concurrency.limits.Limit;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The server's only connection selector: Helidon's HTTP/1 connection, reading through a {@link RequestFramer} and
 * held to the server's timeouts. Installed in place of Helidon's discovered protocols, so every connection has it.
 *
 * <p>Timeouts (Helidon 4.5.0 has none on reading a request: its socket read timeout is not applied to server sockets,
 * and its idle-connection sweep, every two minutes, interrupts only a connection waiting for a request line, not one
 * stalled in its headers or body): every read from the socket waits at most the time left in the current phase,
 * known from the framer: the rest of {@code header-timeout} while a head is
 * coming (counted from the connection's start for its first request), {@code body-idle-timeout} for each read inside
 * a body, {@code idle-timeout} between requests. A head or an idle wait past its time ends the input, so Helidon
 * closes the connection (nothing is answered to a request that was never read, as nginx does); a body that stalls
 * fails the read with {@link ArbiterException.RequestTimeout}, which the edge answers with 408 before the connection
 * closes. Between requests and in a head the read is made on the connection's own thread and the gateway's watchdog
 * closes the socket when the phase's time is up; inside a body a read that must wait is made on a helper virtual
 * thread, so that the 408 can still be written, and a read that timed out stays pending until the socket closes.
 */
public final class GuardedConnections implements ServerConnectionSelector {
    private final Http1ConnectionSelector http1 = Http1ConnectionSelector.builder().config(Http1Config.create()).build();
    private final Duration headerTimeout;
    private final Duration bodyIdleTimeout;
    private final Duration idleTimeout;
    private final Watchdog watchdog;

    public GuardedConnections(ServerConfig server, Watchdog watchdog) {
        this.watchdog = watchdog;
        this.headerTimeout = server.headerTimeout();
        this.bodyIdleTimeout = server.bodyIdleTimeout();
        this.idleTimeout = server.idleTimeout();
    }

    @Override
    public int bytesToIdentifyConnection() {
        return 0;
    }

    @Override
    public Support supports(BufferData data) {
        return Support.SUPPORTED;
    }

    @Override
    public Set<String> supportedApplicationProtocols() {
        return Set.of("http/1.1");
    }

    @Override
    public ServerConnection connection(ConnectionContext ctx) {
        var source = new GuardedSource(ctx.dataReader(), ctx.serverSocket());
        ServerConnection delegate = http1.connection(new Context(ctx, DataReader.create(source)));
        return new ServerConnection() {
            @Override
            public void handle(Limit limit) throws InterruptedException {
                delegate.handle(limit);
            }

            @Override
            public Duration idleTime() {
                return delegate.idleTime();
            }

            @Override
            public void close(boolean interrupt) {
                delegate.close(interrupt);
            }
        };
    }

    /** The bytes Helidon reads: the socket's, framed and timed. */
    private final class GuardedSource implements Supplier<byte[]> {
        private final DataReader socket;
        private final HelidonSocket raw;
        private final RequestFramer framer = new RequestFramer();
        private final long started = System.nanoTime();
        private long headDeadline = started + headerTimeout.toNanos();
        private FutureTask<byte[]> pending;

        GuardedSource(DataReader socket, HelidonSocket raw) {
            this.socket = socket;
            this.raw = raw;
        }

        @Override
        public byte[] get() {
            framer.throwFailure();
            while (true) {
                RequestFramer.Phase phase = framer.phase();
                long now = System.nanoTime();
                long wait = switch (phase) {
                    case DONE -> 0;
                    case AWAIT -> framer.requests() == 0 ? headDeadline - now : idleTimeout.toNanos();
                    case HEAD -> headDeadline - now;
                    case BODY -> bodyIdleTimeout.toNanos();
                };
                if (phase == RequestFramer.Phase.DONE) return null;
                byte[] in;
                try {
                    in = phase == RequestFramer.Phase.BODY ? read(wait) : readWatched(wait);
                } catch (TimeoutException e) {
                    return timedOut(phase);
                }
                if (in == null) {
                    framer.end();   // inside a body: the request fails (400) and the connection closes
                    return null;
                }
                int heads = framer.heads();
                byte[] out = framer.feed(in);
                // a later request's head has header-timeout from its first byte (the first one's counts from the start)
                if (framer.heads() > heads && framer.heads() > 1) headDeadline = System.nanoTime() + headerTimeout.toNanos();
                if (out.length > 0) return out;
            }
        }

        private byte[] timedOut(RequestFramer.Phase phase) {
            framer.stop();
            switch (phase) {
                case BODY -> throw new ArbiterException.RequestTimeout("The request body stalled: no data came for "
                        + seconds(bodyIdleTimeout) + " (the server's body-idle-timeout)");
                case HEAD -> AccessLog.rejected(HttpApi.newRequestId(), "-", 408, "header_timeout", System.nanoTime() - started);
                default -> { }
            }
            return null;   // the input ends: Helidon closes the connection
        }

        /**
         * The next bytes from the socket, null at its end, read on this thread; waits at most {@code nanos}, enforced by
         * the gateway's watchdog closing the socket (a head or an idle connection past its time is simply closed, so
         * nothing need be written after it). This is the read every kept-alive request waits in: it costs two set
         * operations, where a timed park or a helper thread would cost a thread wake-up per request.
         */
        private byte[] readWatched(long nanos) throws TimeoutException {
            if (nanos <= 0) throw new TimeoutException();
            if (pending != null) return read(nanos);   // a body read that timed out left its helper reading
            try (var timer = watchdog.arm(Duration.ofNanos(nanos), raw::close)) {
                byte[] bytes;
                try {
                    bytes = pull();
                } catch (RuntimeException e) {
                    if (timer.fired()) throw new TimeoutException();
                    throw e;   // the socket failed: Helidon handles its exception
                }
                if (bytes == null && timer.fired()) throw new TimeoutException();
                return bytes;
            }
        }

        /**
         * The next bytes from the socket, null at its end; waits at most {@code nanos}, on a helper virtual thread so that
         * a stalled body can still be answered with 408 on the open socket. Bytes already in the socket's buffer are
         * taken at once, without the helper: a body that arrives with its head never needs one.
         */
        private byte[] read(long nanos) throws TimeoutException {
            if (pending == null && socket.available() > 0) return socket.readBytes(socket.available());
            if (nanos <= 0) throw new TimeoutException();
            FutureTask<byte[]> task = pending;
            if (task == null) {
                task = new FutureTask<>(this::pull);
                Thread.ofVirtual().name("arbiter-socket-read").start(task);
                pending = task;
            }
            try {
                byte[] bytes = task.get(nanos, TimeUnit.NANOSECONDS);
                pending = null;
                return bytes;
            } catch (ExecutionException e) {
                pending = null;
                if (e.getCause() instanceof RuntimeException r) throw r;   // the socket failed: Helidon handles its exception
                throw new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                // Helidon interrupts a connection's thread to close it (idle sweep, server stop): end the input
                framer.stop();
                return null;
            }
        }

        private byte[] pull() {
            try {
                socket.ensureAvailable();
            } catch (DataReader.InsufficientDataAvailableException e) {
                return null;
            }
            return socket.readBytes(socket.available());
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    /** The connection's context with the guarded reader in place of the socket's. */
    private record Context(ConnectionContext ctx, DataReader reader) implements ConnectionContext {
        @Override
        public DataReader dataReader() {
            return reader;
        }

        @Override
        public ListenerContext listenerContext() {
            return ctx.listenerContext();
        }

        @Override
        public ExecutorService executor() {
            return ctx.executor();
        }

        @Override
        public DataWriter dataWriter() {
            return ctx.dataWriter();
        }

        @Override
        public Router router() {
            return ctx.router();
        }

        @Override
        public Optional<ProxyProtocolData> proxyProtocolData() {
            return ctx.proxyProtocolData();
        }

        @Override
        public HelidonSocket serverSocket() {
            return ctx.serverSocket();
        }

        @Override
        public PeerInfo remotePeer() {
            return ctx.remotePeer();
        }

        @Override
        public PeerInfo localPeer() {
            return ctx.localPeer();
        }

        @Override
        public boolean isSecure() {
            return ctx.isSecure();
        }

        @Override
        public String socketId() {
            return ctx.socketId();
        }

        @Override
        public String childSocketId() {
            return ctx.childSocketId();
        }
    }
}
