/**
 * A latency histogram with bounded memory and relative error below 1%: values (integer microseconds) below
 * 256 are counted exactly; above, each power of two is split into 128 buckets (log-linear buckets, as in
 * HdrHistogram), so 3,328 counters cover everything up to 2^32 µs (71 minutes; larger values are clamped).
 * Millions of samples cost no more memory than a few, and no sort.
 */
const SUB_BUCKET_BITS = 7;
const SUB_BUCKET_COUNT = 1 << SUB_BUCKET_BITS;
const MAX_VALUE_US = 2 ** 32 - 1;
const BUCKET_COUNT = (32 - SUB_BUCKET_BITS) * SUB_BUCKET_COUNT + SUB_BUCKET_COUNT;

function bucketOf(valueUs: number): number {
  if (valueUs < 2 * SUB_BUCKET_COUNT) return valueUs;
  const exponent = 31 - Math.clz32(valueUs);
  const shift = exponent - SUB_BUCKET_BITS;
  return shift * SUB_BUCKET_COUNT + (valueUs >>> shift);
}

/** The smallest and largest value that fall into a bucket. */
function bucketRange(index: number): [number, number] {
  if (index < 2 * SUB_BUCKET_COUNT) return [index, index];
  const shift = Math.floor(index / SUB_BUCKET_COUNT) - 1;
  const mantissa = index - shift * SUB_BUCKET_COUNT;
  const low = mantissa * 2 ** shift;
  return [low, low + 2 ** shift - 1];
}

export interface LatencySummary {
  readonly count: number;
  readonly avgMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKET_COUNT);
  /** Number of samples recorded (a sample recorded with a count counts that many times). */
  private total = 0;
  private sumUs = 0;
  private maxUs = 0;

  /** Records `count` samples of `valueUs` microseconds (negative values count as 0). */
  record(valueUs: number, count = 1): void {
    if (count <= 0) return;
    const value = Math.min(MAX_VALUE_US, Math.max(0, Math.round(valueUs)));
    this.counts[bucketOf(value)] += count;
    this.total += count;
    this.sumUs += value * count;
    if (value > this.maxUs) this.maxUs = value;
  }

  get count(): number {
    return this.total;
  }

  /**
   * The value at a percentile (0-100]: the middle of the bucket holding the sample of that rank (never
   * above the largest value recorded); 0 when empty.
   */
  percentileUs(percentile: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((percentile / 100) * this.total));
    let seen = 0;
    for (let index = 0; index < BUCKET_COUNT; index++) {
      seen += this.counts[index];
      if (seen >= rank) {
        const [low, high] = bucketRange(index);
        return Math.min(this.maxUs, (low + high) / 2);
      }
    }
    return this.maxUs;
  }

  summary(): LatencySummary {
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      count: this.total,
      avgMs: this.total === 0 ? 0 : ms(this.sumUs / this.total),
      p50Ms: ms(this.percentileUs(50)),
      p95Ms: ms(this.percentileUs(95)),
      p99Ms: ms(this.percentileUs(99)),
      p999Ms: ms(this.percentileUs(99.9)),
      maxMs: ms(this.maxUs),
    };
  }
}
