// Cutting a dense row-major tensor down to chosen indices along some of its axes.

const isAll = (ix: readonly number[] | null, n: number): boolean =>
  ix === null || (ix.length === n && ix.every((j, i) => j === i));

/**
 * Keeps, along each axis, the listed indices (in order), or every index when the entry is null.
 * Returns the new data and shape; when every index of every axis is kept, `data` itself (not a copy).
 * Runs of consecutive indices over whole trailing blocks are copied with one `set` each.
 */
export function gatherAxes(
  data: Float32Array,
  shape: readonly number[],
  keep: readonly (readonly number[] | null)[],
): { data: Float32Array; shape: number[] } {
  const index = shape.map((n, i) => keep[i] ?? Array.from({ length: n }, (_, j) => j));
  const outShape = index.map((ix) => ix.length);
  if (shape.every((n, i) => isAll(keep[i] ?? null, n))) return { data, shape: outShape };
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  // The last axis that is cut: everything after it is copied as whole blocks of strides[last] values.
  let last = shape.length - 1;
  while (last > 0 && isAll(keep[last] ?? null, shape[last])) last--;
  const block = strides[last];
  const out = new Float32Array(outShape.reduce((a, b) => a * b, 1));
  let o = 0;
  const walk = (axis: number, offset: number): void => {
    if (axis < last) {
      for (const j of index[axis]) walk(axis + 1, offset + j * strides[axis]);
      return;
    }
    const ix = index[last];
    for (let k = 0; k < ix.length;) {
      let run = 1; // consecutive indices go in one copy
      while (k + run < ix.length && ix[k + run] === ix[k] + run) run++;
      const from = offset + ix[k] * block;
      out.set(data.subarray(from, from + run * block), o);
      o += run * block;
      k += run;
    }
  };
  walk(0, 0);
  return { data: out, shape: outShape };
}

/** The first `keep[k]` of each stretch of `lengths[k]` indices, for slicing segmented axes. */
export function leadingOfEach(lengths: readonly number[], keep: readonly number[]): number[] {
  const out: number[] = [];
  let start = 0;
  lengths.forEach((len, k) => {
    for (let j = 0; j < keep[k]; j++) out.push(start + j);
    start += len;
  });
  return out;
}
