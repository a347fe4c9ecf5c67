/** Summaries of repeated measurements: the median of the rounds with their min and max. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Every round's value, in the order measured. */
  readonly samples: readonly number[];
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new RangeError('median of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function summarize(samples: readonly number[]): Summary {
  return {
    median: median(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    samples: [...samples],
  };
}

/**
 * The value below which `fraction` of the sorted samples fall (nearest rank: the smallest sample with at
 * least that share of samples at or below it).
 */
export function percentile(sorted: ArrayLike<number>, fraction: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no samples');
  if (!(fraction >= 0 && fraction <= 1))
    throw new RangeError(`percentile fraction ${fraction} not in [0, 1]`);
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[rank - 1];
}

/** "12,345 records/s (min 11,002, max 13,877)": the median, then the min and max, with `digits` decimals. */
export function formatSummary(samples: readonly number[], unit: string, digits: number): string {
  const { median: middle, min, max } = summarize(samples);
  const format = (value: number) =>
    value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return `${format(middle)} ${unit} (min ${format(min)}, max ${format(max)})`;
}
