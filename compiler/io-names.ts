// Names of the control inputs of an emitted model: one int64 scalar `width.<group>` per width
// group (an index into its choices) and one bool scalar `run.<task>` per task. The lowering,
// runtime, CLI, playground and benchmarks all derive them from here.

export const WIDTH_INPUT_PREFIX = "width.";
export const RUN_INPUT_PREFIX = "run.";

export const widthInputName = (group: string): string => `${WIDTH_INPUT_PREFIX}${group}`;
export const runInputName = (task: string): string => `${RUN_INPUT_PREFIX}${task}`;

export type ControlInput =
  { readonly kind: "width"; readonly group: string } | { readonly kind: "run"; readonly task: string };

/** What a model input controls, or null for a data input. */
export function controlInput(name: string): ControlInput | null {
  if (name.startsWith(WIDTH_INPUT_PREFIX)) return { kind: "width", group: name.slice(WIDTH_INPUT_PREFIX.length) };
  if (name.startsWith(RUN_INPUT_PREFIX)) return { kind: "run", task: name.slice(RUN_INPUT_PREFIX.length) };
  return null;
}

export const isControlInput = (name: string): boolean => controlInput(name) !== null;
