package dev.arbiter.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.arbiter.error.ArbiterException;
import dev.arbiter.llm.Frame;
import dev.arbiter.llm.FrameStream;
import dev.arbiter.llm.SseEvent;
import dev.arbiter.llm.WireFormat;
import dev.arbiter.pipeline.Deadline;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The shared stream: replay from the first frame, one upstream read per frame, the bound, failures, the last close. */
class BroadcastTest {
    /** An upstream fed by the test: each {@code hasNext} waits for the next item (a frame, END or a failure). */
    static final class FakeUpstream implements FrameStream {
        static final Object END = new Object();
        final LinkedBlockingQueue<Object> items = new LinkedBlockingQueue<>();
        final AtomicBoolean closed = new AtomicBoolean();
        final AtomicInteger reads = new AtomicInteger();
        private Object head;

        void frame(String data) {
            items.add(Frame.of(WireFormat.OPENAI_CHAT, SseEvent.data(data)));
        }

        @Override
        public WireFormat format() {
            return WireFormat.OPENAI_CHAT;
        }

        @Override
        public boolean hasNext() {
            if (head == null) {
                try {
                    head = items.poll(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                if (head == null || closed.get()) throw new ArbiterException.Upstream(0, "cancelled", "cancelled", null);
                reads.incrementAndGet();
            }
            if (head instanceof ArbiterException e) throw e;
            return head != END;
        }

        @Override
        public Frame next() {
            hasNext();
            Frame f = (Frame) head;
            head = null;
            return f;
        }

        @Override
        public void close() {
            closed.set(true);
            items.add(END);
        }
    }

    static Deadline in(Duration d) {
        return Deadline.after(d, System::nanoTime);
    }

    static List<String> drain(FrameStream s) {
        var out = new ArrayList<String>();
        while (s.hasNext()) out.add(s.next().raw().data());
        return out;
    }

    @Test
    void views_eachReadEveryFrameFromTheFirst_andTheUpstreamIsReadOnce() {
        var up = new FakeUpstream();
        var closedToJoin = new AtomicInteger();
        var b = new Broadcast(1 << 20, closedToJoin::incrementAndGet);
        var first = b.attach(in(Duration.ofSeconds(5)));
        b.start(up);
        up.frame("a");
        up.frame("b");
        assertThat(first.next().raw().data()).isEqualTo("a");
        var late = b.attach(in(Duration.ofSeconds(5)));
        up.frame("c");
        up.items.add(FakeUpstream.END);
        assertThat(drain(first)).containsExactly("b", "c");
        assertThat(drain(late)).containsExactly("a", "b", "c");
        assertThat(up.reads.get()).isEqualTo(4);
        assertThat(closedToJoin.get()).isEqualTo(1);   // the end closes it to joiners
        assertThat(b.attach(in(Duration.ofSeconds(5)))).isNull();
        first.close();
        assertThat(up.closed).isFalse();
        late.close();
        assertThat(up.closed).isTrue();                 // the last view out closes the upstream
    }

    @Test
    void aFailure_reachesEveryView_afterTheFramesBeforeIt() {
        var up = new FakeUpstream();
        var b = new Broadcast(1 << 20, () -> { });
        var v1 = b.attach(in(Duration.ofSeconds(5)));
        var v2 = b.attach(in(Duration.ofSeconds(5)));
        b.start(up);
        up.frame("a");
        up.items.add(new ArbiterException.Upstream(502, "broken", "upstream_error", null));
        for (var v : List.of(v1, v2)) {
            assertThat(v.next().raw().data()).isEqualTo("a");
            assertThatThrownBy(v::hasNext).isInstanceOf(ArbiterException.Upstream.class).hasMessage("broken");
        }
    }

    @Test
    void pastTheBound_noOneJoins_andFramesEveryViewReadAreDropped() {
        var up = new FakeUpstream();
        var closedToJoin = new AtomicInteger();
        var b = new Broadcast(100, closedToJoin::incrementAndGet);
        var v1 = b.attach(in(Duration.ofSeconds(5)));
        var v2 = b.attach(in(Duration.ofSeconds(5)));
        b.start(up);
        up.frame("x".repeat(80));
        up.frame("y".repeat(80));
        up.frame("z");
        up.items.add(FakeUpstream.END);
        v1.next();
        v1.next();   // 2 frames, over 100 bytes: closed to joiners
        assertThat(closedToJoin.get()).isEqualTo(1);
        assertThat(b.attach(in(Duration.ofSeconds(5)))).isNull();
        assertThat(drain(v2)).hasSize(3);   // a view already in still gets every frame
        assertThat(drain(v1)).containsExactly("z");
    }

    @Test
    void aWaiter_timesOutAtItsOwnDeadline_whileAnotherPulls() throws Exception {
        var up = new FakeUpstream();
        var b = new Broadcast(1 << 20, () -> { });
        var patient = b.attach(in(Duration.ofSeconds(5)));
        var hasty = b.attach(in(Duration.ofMillis(200)));
        b.start(up);
        var puller = Thread.ofVirtual().start(patient::hasNext);   // blocks reading the silent upstream
        Thread.sleep(50);
        long t = System.nanoTime();
        assertThatThrownBy(hasty::hasNext).isInstanceOf(ArbiterException.DeadlineExceeded.class);
        assertThat(Duration.ofNanos(System.nanoTime() - t)).isLessThan(Duration.ofSeconds(2));
        hasty.close();
        assertThat(up.closed).isFalse();
        up.frame("late");
        puller.join(5000);
        assertThat(patient.next().raw().data()).isEqualTo("late");
        patient.close();
        assertThat(up.closed).isTrue();
    }

    @Test
    void everyViewLeavingBeforeTheStart_closesTheUpstreamAtStart() {
        var up = new FakeUpstream();
        var b = new Broadcast(1 << 20, () -> { });
        b.attach(in(Duration.ofSeconds(5))).close();
        b.start(up);
        assertThat(up.closed).isTrue();
    }
}
