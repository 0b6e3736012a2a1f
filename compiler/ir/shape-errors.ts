// Shape and channel errors raised while building the IR. The builder throws them (the front end
// catches each one at the call that caused it and turns it into a Diagnostic with the same code).

export class ShapeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "ShapeError";
  }
}

/** Every shape error the builder can raise: stable code and a one-line description. */
export const ShapeErrors = {
  Rank: { code: "MTL3001", description: "a layer got an input of the wrong rank" },
  DType: { code: "MTL3002", description: "a layer got an input of the wrong element type" },
  BadOption: {
    code: "MTL3003",
    description: "a layer option is out of range (kernel, stride, padding, sizes, counts)",
  },
  UnknownGroup: { code: "MTL3004", description: "a layer names a width group that was never declared" },
  BadGroup: { code: "MTL3005", description: "a width group is declared twice or has invalid width choices" },
  AxisRange: { code: "MTL3006", description: "an axis, index or permutation is out of range for the value" },
  ChannelAxis: {
    code: "MTL3007",
    description: "a layer works on an axis other than the one its input's channels slim on",
  },
  SymbolicSize: { code: "MTL3008", description: "a size that must be known at compile time is symbolic" },
  GroupsDivide: { code: "MTL3009", description: "channel counts are not divisible by the convolution's groups" },
  GroupedSlim: { code: "MTL3010", description: "a grouped convolution that is not depthwise has slimming channels" },
  KernelTooBig: { code: "MTL3011", description: "a kernel is bigger than its padded input" },
  NonPositiveSize: { code: "MTL3012", description: "a size would be zero or negative" },
  LayoutMismatch: {
    code: "MTL3013",
    description: "values combined elementwise or concatenated have different channel layouts",
  },
  Broadcast: { code: "MTL3014", description: "two shapes cannot be broadcast together" },
  ConcatShape: { code: "MTL3015", description: "concatenated values disagree off the concatenation axis" },
  ReshapeSize: { code: "MTL3016", description: "a reshape changes the number of elements" },
  ReshapeSlim: { code: "MTL3017", description: "a reshape or flatten would merge slimming channels with another axis" },
  SymbolicFlatten: {
    code: "MTL3018",
    description: "a flatten or reshape folds a symbolic size into slimming channels",
  },
  HeadsDivide: { code: "MTL3019", description: "an attention width is not divisible by its number of heads" },
  MixedGroupNorm: { code: "MTL3020", description: "a batchnorm's channels slim with more than one width group" },
  ParamConflict: { code: "MTL3021", description: "a parameter name is reused with a different shape, layout or init" },
  BadTask: { code: "MTL3022", description: "a task's output is unknown or its name is used twice" },
  GroupNormDivide: {
    code: "MTL3023",
    description: "a groupnorm's groups do not divide its channel count at some width",
  },
} as const;

export type ShapeErrorName = keyof typeof ShapeErrors;

/** Throws the named shape error. */
export function fail(name: ShapeErrorName, message: string, hint?: string): never {
  throw new ShapeError(ShapeErrors[name].code, message, hint);
}
