// Summaries of what the bench samples: rounds, load averages, RSS readings.

/** The middle value (the lower of the two middle ones for an even count); 0 for none. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

/**
 * The median RSS of the first and of the last tenth of the samples (at least 3 each): one
 * reading lands wherever the garbage collector happens to be (just before a major collection,
 * or just after), a window's median does not.
 */
export function rssGrowth(samples: number[]): {
  startMedian: number;
  endMedian: number;
  windowSamples: number;
} {
  const windowSamples = Math.max(3, Math.floor(samples.length / 10));
  if (samples.length < 2 * windowSamples) {
    throw new Error(
      `${samples.length} RSS samples: too short a memory run (raise BENCH_MEMORY_REQUESTS)`,
    );
  }
  return {
    startMedian: median(samples.slice(0, windowSamples)),
    endMedian: median(samples.slice(-windowSamples)),
    windowSamples,
  };
}
