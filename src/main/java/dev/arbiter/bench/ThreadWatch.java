package dev.arbiter.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Per-thread CPU time and context switches of watched processes, read from Linux's {@code /proc/PID/task/TID}
 * ({@code schedstat}: nanoseconds on a CPU; {@code status}: voluntary and involuntary context switches) at the
 * edges of each phase, and summed by thread group: the process's name and the thread's name with its digits
 * folded ({@code gateway/ForkJoinPool-#-worker-#}). Linux keeps only the first 15 bytes of a thread's name, which
 * would lump a JVM's virtual-thread carriers together with its timer thread ({@code ForkJoinPool-1-delayScheduler}),
 * so the full names of a Java process's threads are read with {@code jcmd PID Thread.print} when unknown threads
 * appear (at most every 10 s per process). A voluntary switch is a
 * thread going to sleep, so voluntary switches per request count how often each kind of thread is woken for one
 * request: a figure that the machine's other load barely moves, unlike latency and CPU time.
 *
 * <p>Threads that exit between two reads lose their last phase's counts; threads born in a phase count from zero.
 * Where {@code /proc} is missing it reads nothing.
 */
public final class ThreadWatch {
    /** Slots of a sample: CPU nanoseconds, voluntary switches, involuntary switches. */
    static final int CPU_NANOS = 0, VOLUNTARY = 1, INVOLUNTARY = 2, SLOTS = 3;
    private static final Pattern DIGITS = Pattern.compile("[0-9]+");

    private final Map<String, Long> pids;
    /** tid -> group and counters at the last read. */
    private Map<Long, Sample> last = new HashMap<>();
    /** tid -> full Java thread name, for the processes jcmd could read. */
    private final Map<Long, String> javaNames = new HashMap<>();
    private final Map<Long, Long> namedAt = new HashMap<>();
    private static final long RENAME_NANOS = 10_000_000_000L;
    private static final Pattern NID = Pattern.compile("^\"(.*)\" .*\\bnid=(\\d+)\\b.*$");

    private record Sample(String group, long[] counts) {}

    /** Watches {@code pids}, name to process id. */
    public ThreadWatch(Map<String, Long> pids) {
        this.pids = Map.copyOf(pids);
    }

    /** What each thread group used since the previous call (the first call returns counts since each thread began). */
    Map<String, long[]> delta() {
        Map<Long, Sample> now = read();
        var out = new TreeMap<String, long[]>();
        now.forEach((tid, s) -> {
            Sample before = last.get(tid);
            long[] d = out.computeIfAbsent(s.group(), g -> new long[SLOTS]);
            for (int i = 0; i < SLOTS; i++) d[i] += Math.max(0, s.counts()[i] - (before == null ? 0 : before.counts()[i]));
        });
        last = now;
        return out;
    }

    private Map<Long, Sample> read() {
        var out = new HashMap<Long, Sample>();
        pids.forEach((name, pid) -> {
            for (long p : withDescendants(pid)) {
                try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(p), "task"))) {
                    List<Path> list = tasks.toList();
                    if (list.stream().anyMatch(t -> !javaNames.containsKey(tid(t)))) readJavaNames(p);
                    for (Path t : list) sample(name, t, javaNames.get(tid(t))).ifPresent(s -> out.put(tid(t), s));
                } catch (IOException | RuntimeException e) {
                    // the process is gone or /proc is missing: nothing to count
                }
            }
        });
        return out;
    }

    private static long tid(Path task) {
        return Long.parseLong(task.getFileName().toString());
    }

    /** Full thread names of a Java process, by native thread id, from {@code jcmd PID Thread.print}; nothing for others. */
    private void readJavaNames(long pid) {
        long now = System.nanoTime();
        Long at = namedAt.get(pid);
        if (at != null && now - at < RENAME_NANOS) return;
        namedAt.put(pid, now);
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        try {
            String exe = Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "exe")).getFileName().toString();
            if (!exe.equals("java") || !Files.isExecutable(jcmd)) return;
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "Thread.print")
                    .redirectErrorStream(true).start();
            try (var lines = p.inputReader().lines()) {
                lines.forEach(line -> {
                    var m = NID.matcher(line);
                    if (m.matches()) javaNames.put(Long.parseLong(m.group(2)), m.group(1));
                });
            }
            if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly();
        } catch (IOException | RuntimeException e) {
            // not a Java process we can attach to: the kernel's short names will do
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static List<Long> withDescendants(long pid) {
        var all = new java.util.ArrayList<Long>();
        all.add(pid);
        ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> all.add(d.pid())));
        return all;
    }

    private static java.util.Optional<Sample> sample(String process, Path task, String javaName) {
        try {
            String comm = javaName != null ? javaName : Files.readString(task.resolve("comm")).strip();
            String[] sched = Files.readString(task.resolve("schedstat")).strip().split(" ");
            long[] c = new long[SLOTS];
            c[CPU_NANOS] = Long.parseLong(sched[0]);
            for (String line : Files.readAllLines(task.resolve("status"))) {
                if (line.startsWith("voluntary_ctxt_switches:")) c[VOLUNTARY] = Long.parseLong(line.substring(24).strip());
                else if (line.startsWith("nonvoluntary_ctxt_switches:")) c[INVOLUNTARY] = Long.parseLong(line.substring(27).strip());
            }
            return java.util.Optional.of(new Sample(process + "/" + DIGITS.matcher(comm).replaceAll("#"), c));
        } catch (IOException | RuntimeException e) {
            return java.util.Optional.empty();   // the thread exited while being read
        }
    }
}
