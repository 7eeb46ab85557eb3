package dev.arbiter.analyze;

/**
 * A change or anomaly detector over one stream of numbers: each value goes in through {@link #add}, which answers
 * whether the detector signals at that value. Detectors are small, pure and single-threaded (the analyzer feeds each
 * from its one thread); none keeps the values themselves beyond the window its algorithm needs.
 */
public interface Detector {
    /** Adds the next value; true when the detector signals a change (drift) or an anomaly at this value. */
    boolean add(double x);

    /** Forgets everything seen, as if new. */
    void reset();

    /** The detector's name in events and metrics ({@code adwin}, {@code page-hinkley}, ...). */
    String name();
}
