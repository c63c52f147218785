package io.zeroscale.engine.history;

/**
 * Counts of idle times (the minutes between two arrivals) in one-minute bins up to a range; idle
 * times beyond it are counted as out of range. This is the per-application histogram of the
 * hybrid histogram policy of Shahrad et al., "Serverless in the Wild: Characterizing and
 * Optimizing the Serverless Workload at a Large Cloud Provider", USENIX ATC 2020 (section 4.2).
 *
 * <p>Not thread-safe: owned by one {@link ArrivalHistory}, which synchronizes.
 */
public final class IdleTimeHistogram {
    /** The histogram range of the paper: four hours of one-minute bins. */
    public static final int DEFAULT_RANGE_MINUTES = 240;

    private static final long[] NONE = new long[0];

    private final int range;
    /**
     * The counts, allocated with the first idle time in range: most targets of a large engine
     * never record one, and 240 bins are 2 KB each.
     */
    private long[] bins = NONE;
    private long inRange;
    private long outOfRange;

    public IdleTimeHistogram(int rangeMinutes) {
        if (rangeMinutes < 1) {
            throw new IllegalArgumentException("rangeMinutes must be at least 1");
        }
        this.range = rangeMinutes;
    }

    /** A copy, so a reader can compute percentiles while the history keeps recording. */
    public IdleTimeHistogram copy() {
        IdleTimeHistogram copy = new IdleTimeHistogram(range);
        copy.bins = bins.length == 0 ? NONE : bins.clone();
        copy.inRange = inRange;
        copy.outOfRange = outOfRange;
        return copy;
    }

    void add(long minutes, long times) {
        if (times <= 0) {
            return;
        }
        if (minutes < range) {
            if (bins.length == 0) {
                bins = new long[range];
            }
            bins[(int) Math.max(0, minutes)] += times;
            inRange += times;
        } else {
            outOfRange += times;
        }
    }

    void remove(long minutes, long times) {
        if (times <= 0) {
            return;
        }
        if (minutes < range) {
            if (bins.length == 0) {
                return; // nothing in range was ever added
            }
            int bin = (int) Math.max(0, minutes);
            long removed = Math.min(times, bins[bin]);
            bins[bin] -= removed;
            inRange -= removed;
        } else {
            outOfRange -= Math.min(times, outOfRange);
        }
    }

    /** The histogram range in minutes. */
    public int rangeMinutes() {
        return range;
    }

    /** Idle times within the range. */
    public long inRange() {
        return inRange;
    }

    /** Idle times at or beyond the range. */
    public long outOfRange() {
        return outOfRange;
    }

    /** The count in bin {@code minute}. */
    public long count(int minute) {
        java.util.Objects.checkIndex(minute, range);
        return bins.length == 0 ? 0 : bins[minute];
    }

    /**
     * The bin (in minutes) below which {@code percent} % of the in-range idle times fall: the
     * smallest bin whose cumulative count reaches that share.
     *
     * @throws IllegalStateException when no idle time is in range
     */
    public int percentile(double percent) {
        if (inRange == 0) {
            throw new IllegalStateException("no idle time in range");
        }
        double wanted = Math.max(1, Math.ceil(inRange * percent / 100.0));
        long cumulative = 0;
        for (int bin = 0; bin < bins.length; bin++) {
            cumulative += bins[bin];
            if (cumulative >= wanted) {
                return bin;
            }
        }
        return range - 1;
    }

    /**
     * The coefficient of variation (standard deviation / mean) of the bin counts: high when the
     * idle times gather in a few bins (predictable), low when they spread over the range. The
     * paper uses it to decide whether a histogram is representative.
     */
    public double binCountVariation() {
        double mean = (double) inRange / range;
        if (mean == 0) {
            return 0;
        }
        double squares = 0;
        for (long count : bins) {
            double d = count - mean;
            squares += d * d;
        }
        return Math.sqrt(squares / range) / mean;
    }
}
