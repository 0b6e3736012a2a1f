// Cutting a dense row-major tensor down to chosen indices along some of its axes.

/**
 * Keeps, along each axis, the listed indices (in order), or every index when the entry is null.
 * Returns the new data and shape.
 */
export function gatherAxes(
  data: Float32Array,
  shape: readonly number[],
  keep: readonly (readonly number[] | null)[],
): { data: Float32Array; shape: number[] } {
  const index = shape.map((n, i) => keep[i] ?? Array.from({ length: n }, (_, j) => j));
  const outShape = index.map((ix) => ix.length);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(outShape.reduce((a, b) => a * b, 1));
  let o = 0;
  const walk = (axis: number, offset: number): void => {
    if (axis === shape.length) {
      out[o++] = data[offset];
      return;
    }
    for (const j of index[axis]) walk(axis + 1, offset + j * strides[axis]);
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
