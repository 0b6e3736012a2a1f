// Statistics for `mtl profile`: robust summaries of repeated timings (median, MAD, outliers) and
// the checks that say whether a latency table can be trusted (noise, and time growing with width).

/** Relative noise above which one measurement counts as noisy (MAD-based spread over the median). */
export const NOISY = 0.25;
/** A table is unreliable when more than this share of its measurements are noisy. */
export const MAX_NOISY_SHARE = 0.1;
/** Time may drop by this much (ms) from a narrower to a wider configuration before it is flagged. */
export const ABS_TOLERANCE_MS = 0.05;

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export interface SampleSummary {
  readonly median: number;
  /** 1.4826 x median absolute deviation over the median: a robust relative standard deviation. */
  readonly noise: number;
  /** Samples more than 3.5 robust deviations (and 10%) from the median; the median ignores them anyway. */
  readonly outliers: number;
  /** Spread above NOISY and above ABS_TOLERANCE_MS: jitter of microseconds on a tiny layer does not count. */
  readonly noisy: boolean;
}

export function summarise(samples: readonly number[]): SampleSummary {
  const m = median(samples);
  const mad = 1.4826 * median(samples.map((x) => Math.abs(x - m)));
  const limit = Math.max(3.5 * mad, 0.1 * m);
  const noise = m > 0 ? mad / m : 0;
  return {
    median: m,
    noise,
    outliers: samples.filter((x) => Math.abs(x - m) > limit).length,
    noisy: noise > NOISY && mad > ABS_TOLERANCE_MS,
  };
}

/** A place where a wider configuration measured faster than a narrower one by more than the noise allows. */
export interface MonotonicityViolation {
  readonly part: string;
  readonly group: string;
  /** Choice indices of the term's groups at the narrower point; the wider one is one step up in `group`. */
  readonly at: readonly number[];
  readonly narrowerMs: number;
  readonly widerMs: number;
}

/** Checks that each term's time does not fall as any one of its groups widens by a step. */
export function monotonicityViolations(
  term: { part: string; groups: readonly string[]; ms: readonly number[] },
  sizes: readonly number[],
  relTolerance: number,
): MonotonicityViolation[] {
  const out: MonotonicityViolation[] = [];
  const strides = sizes.map((_, i) => sizes.slice(i + 1).reduce((a, b) => a * b, 1));
  for (let flat = 0; flat < term.ms.length; flat++) {
    const idx = sizes.map((s, i) => Math.floor(flat / strides[i]) % s);
    idx.forEach((k, axis) => {
      if (k + 1 >= sizes[axis]) return;
      const narrow = term.ms[flat];
      const wide = term.ms[flat + strides[axis]];
      if (wide < narrow - Math.max(ABS_TOLERANCE_MS, relTolerance * narrow))
        out.push({ part: term.part, group: term.groups[axis], at: idx, narrowerMs: narrow, widerMs: wide });
    });
  }
  return out;
}
