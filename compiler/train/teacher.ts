// Teacher values (the largest configuration's head outputs and encoder features) come in with
// full-width shapes; the student compares against the channels both have. Slimming keeps each
// channel segment's leading channels (as compiler/passes/gather.ts cuts weights), so the
// student's channels are the leading ones of each of the teacher's segments.
import type { Config, Graph } from "../ir/types";
import { segmentLength } from "../ir/width";
import { attr, type Emitter } from "../lower/scope";
import { leadingOfEach } from "../passes/gather";

/** The teacher's channels that the student at `config` has, along the value's channel axis. */
export function studentChannels(e: Emitter, full: Graph, valueId: string, config: Config, teacher: string): string {
  const t = full.values.get(valueId)!.type;
  if (t.channelAxis === null) return teacher;
  const lengths = t.channels.map((s) => s.max * s.scale);
  const keep = t.channels.map((s) => segmentLength(full, s, config));
  if (keep.every((k, i) => k === lengths[i])) return teacher;
  const lw = e.lower;
  if (t.channels.length === 1)
    return e.op1("Slice", [teacher, lw.i64([0]), lw.i64([keep[0]]), lw.i64([t.channelAxis])]);
  const index = leadingOfEach(lengths, keep);
  const name = lw.values.fresh(`${teacher}/channels`); // a named initializer: lw.i64 would name it after every index
  lw.initializers.push({ name, dtype: "int64", dims: [index.length], data: BigInt64Array.from(index, BigInt) });
  return e.op1("Gather", [teacher, name], [attr.int("axis", t.channelAxis)]);
}
