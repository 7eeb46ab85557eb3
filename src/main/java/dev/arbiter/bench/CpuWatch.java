package dev.arbiter.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * CPU time spent by named processes (the gateway, the upstream, this generator) and by the whole machine,
 * read from Linux's {@code /proc} at the edges of each phase, so each scenario is charged what its phase
 * cost. Figures are clock ticks (see {@link #TICK_MICROS}); a 1 s phase at 1,000 requests makes one tick
 * 10 µs per request, which averages out over many phases. Where {@code /proc} is missing it reads nothing.
 */
public final class CpuWatch {
    /** {@code USER_HZ}: 100 on every mainstream Linux. */
    static final long TICK_MICROS = 10_000;
    static final String OTHERS = "others";

    private final Map<String, Long> pids;
    private final boolean available;

    /** Watches {@code pids} (name to process id) and this process, as {@code bench}. */
    public CpuWatch(Map<String, Long> pids) {
        var m = new LinkedHashMap<>(pids);
        m.put("bench", ProcessHandle.current().pid());
        this.pids = Map.copyOf(m);
        this.available = Files.isReadable(Path.of("/proc/stat"));
    }

    /** The names charged, in a stable order, the machine's other load last. */
    List<String> names() {
        var names = new ArrayList<>(pids.keySet().stream().sorted().toList());
        names.add(OTHERS);
        return names;
    }

    boolean available() {
        return available;
    }

    /** A watched process that has exited, as {@code name (pid N)}. */
    Optional<String> exited() {
        for (var e : pids.entrySet()) {
            if (ProcessHandle.of(e.getValue()).map(ProcessHandle::isAlive).orElse(false)) continue;
            return Optional.of(e.getKey() + " (pid " + e.getValue() + ")");
        }
        return Optional.empty();
    }

    /** Ticks used so far by each of {@link #names()}, the last slot holding the whole machine's busy ticks. */
    long[] read() {
        var names = names();
        long[] t = new long[names.size()];
        if (!available) return t;
        for (int i = 0; i < names.size() - 1; i++) t[i] = processTicks(pids.get(names.get(i)));
        t[t.length - 1] = machineBusyTicks();
        return t;
    }

    /** What each name used between two reads; the machine's busy time, less the watched processes, becomes {@code others}. */
    static long[] delta(long[] before, long[] after) {
        long[] d = new long[after.length];
        long watched = 0;
        for (int i = 0; i < d.length - 1; i++) {
            d[i] = Math.max(0, after[i] - before[i]);
            watched += d[i];
        }
        d[d.length - 1] = Math.max(0, after[d.length - 1] - before[d.length - 1] - watched);
        return d;
    }

    /** A process's ticks and those of its live descendants (nginx's workers under its master). */
    private static long processTicks(long pid) {
        long ticks = ownTicks(pid);
        var self = ProcessHandle.of(pid);
        if (self.isPresent()) ticks += self.get().descendants().mapToLong(p -> ownTicks(p.pid())).sum();
        return ticks;
    }

    private static long ownTicks(long pid) {
        try {
            String s = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static long machineBusyTicks() {
        try (var lines = Files.lines(Path.of("/proc/stat"))) {
            String cpu = lines.findFirst().orElse("");
            String[] f = cpu.trim().split("\\s+");
            long busy = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                if (i != 4 && i != 5) busy += Long.parseLong(f[i]);
            }
            return busy;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
