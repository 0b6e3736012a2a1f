// Moving between the full every-width weights and one configuration's cut parameters. For each
// (parameter, configuration) a flat index map into the full storage (including the row of a
// switchable parameter) is precomputed once, so cutting is `cut[i] = full[idx[i]]` and the
// gradient goes back as `fullGrad[idx[i]] += cutGrad[i]` (the adjoint: a slice's gradient is the
// slice padded back into the full-size tensor). The same map picks and updates the BatchNorm
// running-statistics row of the configuration's width. Indices follow specialise()'s cut exactly
// (the leading channels of each segment, see compiler/passes/gather.ts).
import type { Config, Graph, Param } from "../ir/types";
import { switchRow } from "../ir/switchable";
import { channelsAt, widthOf } from "../ir/width";
import { leadingOfEach } from "../passes/gather";
import { rowsOf } from "../weights/init";

export interface CutMap {
  readonly name: string;
  /** Shape of the cut parameter at this configuration. */
  readonly shape: readonly number[];
  /** Flat offsets into the full storage ([K, ...shape] for switchable parameters). */
  readonly index: Int32Array;
}

/** Flat offsets of the kept entries of a row-major tensor, row-major in the cut tensor. */
function keptOffsets(shape: readonly number[], keep: readonly (readonly number[] | null)[], base: number): Int32Array {
  const index = shape.map((n, i) => keep[i] ?? Array.from({ length: n }, (_, j) => j));
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Int32Array(index.reduce((a, ix) => a * ix.length, 1));
  let o = 0;
  const walk = (axis: number, offset: number): void => {
    if (axis === shape.length) {
      out[o++] = offset;
      return;
    }
    for (const j of index[axis]) walk(axis + 1, offset + j * strides[axis]);
  };
  walk(0, base);
  return out;
}

export function cutMap(graph: Graph, p: Param, config: Config): CutMap {
  const size = p.shape.reduce((a, b) => a * b, 1);
  if (rowsOf(graph, p) * size > 2 ** 31 - 1)
    throw new Error(`internal: parameter ${p.name} is too large for 32-bit index maps`);
  const rows = rowsOf(graph, p);
  const row = switchRow(graph.groups, p, config);
  const keep = p.axes.map((segs) =>
    segs === null
      ? null
      : leadingOfEach(
          segs.map((s) => s.max * s.scale),
          segs.map((s) => channelsAt(s.max, widthOf(graph, s.group, config), s.divisor) * s.scale),
        ),
  );
  const shape = p.shape.map((d, i) => keep[i]?.length ?? d);
  return { name: p.name, shape, index: keptOffsets(p.shape, keep, row * size) };
}

/** Index maps of every parameter at one configuration. */
export function cutMaps(graph: Graph, config: Config): Map<string, CutMap> {
  return new Map([...graph.params.values()].map((p) => [p.name, cutMap(graph, p, config)]));
}

export function cut(full: Float32Array, map: CutMap, out = new Float32Array(map.index.length)): Float32Array {
  const ix = map.index;
  for (let i = 0; i < ix.length; i++) out[i] = full[ix[i]];
  return out;
}

/** fullGrad[idx] += cutGrad: the adjoint of `cut`. */
export function scatterAdd(fullGrad: Float32Array, map: CutMap, cutGrad: Float32Array): void {
  const ix = map.index;
  if (cutGrad.length !== ix.length)
    throw new Error(`internal: gradient of ${map.name}: ${cutGrad.length} values, expected ${ix.length}`);
  for (let i = 0; i < ix.length; i++) fullGrad[ix[i]] += cutGrad[i];
}

/**
 * Running statistics of the active width from a batch statistic, PyTorch's convention:
 * new = (1 - momentum) * old + momentum * batch (momentum 0.1; variance unbiased).
 */
export function updateRunning(full: Float32Array, map: CutMap, batch: Float32Array, momentum = 0.1): void {
  const ix = map.index;
  if (batch.length !== ix.length)
    throw new Error(`internal: batch statistic of ${map.name}: ${batch.length} values, expected ${ix.length}`);
  for (let i = 0; i < ix.length; i++) full[ix[i]] = (1 - momentum) * full[ix[i]] + momentum * batch[i];
}
