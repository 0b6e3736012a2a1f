// Messages between the page and the compiler worker.
import type { CostTable } from "../../compiler/cost/types";
import type { Diagnostic } from "../../compiler/diagnostics";
import type { Budget, DecodeSpec } from "../../compiler/ir/types";
import type { StdlibModule } from "./mtl-language";

/** The file name the editor's text is checked under. */
export const ENTRY_FILE = "main.mtl";

/** Decoding steps per sequence task: enough to show tokens, few enough to stay quick in wasm. */
export const MAX_DECODE_STEPS = 12;

/** One IR node, as much as the page needs to draw it and jump to its source. */
export interface NodeSummary {
  id: string;
  op: string;
  part: string; // "shared" or a task
  file: string;
  line: number;
  col: number;
  inputs: string[]; // value ids
  outputs: string[];
  groups: string[]; // width groups its cost depends on
  shape: string; // output shape at full width, e.g. "N×64×32×32"
}

export interface ModelSummary {
  name: string;
  nodes: NodeSummary[];
  /** Graph inputs by name, with their value ids and shapes. */
  inputs: { name: string; value: string; dtype: string; shape: (number | string)[] }[];
  groups: { name: string; part: string; choices: number[] }[];
  tasks: { name: string; output: string; decode: DecodeSpec }[];
  budgets: Budget[];
  prefer: Record<string, number>;
  /** The factorised cost table (after optimise), as `buildCostTable` gives it. */
  costs: CostTable;
  /** Other models of the file that are not shown (the first one is). */
  others: string[];
  ms: number;
}

export interface TensorOut {
  dtype: string;
  dims: number[];
  data: Float32Array | BigInt64Array | Uint8Array | Int32Array;
}

export interface TaskOutput {
  task: string;
  decode: DecodeSpec;
  outputs: Record<string, TensorOut>;
  /** Sequence tasks: the tokens of the declared strategy, decoded step by step from `<task>.logits`. */
  tokens?: number[];
}

export interface RunResult {
  tasks: TaskOutput[];
  /** The sample input image shown beside the outputs (RGB bytes), when the model has one. */
  image?: { width: number; height: number; rgb: Uint8Array; input: string };
  /** A trained example's real inputs: grey pixels [n, 1, h, w] (0..255) and each task's true labels. */
  digits?: { grey: Uint8Array; dims: number[]; labels: Record<string, number[]> };
  inputsNote: string[];
  timings: { prepareMs: number; emitMs: number; sessionMs: number; runMs: number; bytes: number; cached: boolean };
}

export type WorkerRequest =
  | { kind: "check"; id: number; text: string }
  | { kind: "format"; id: number; text: string }
  | { kind: "run"; id: number; text: string; config: Record<string, number>; ortBase: string }
  | { kind: "emit"; id: number; text: string; config: Record<string, number> | null };

export type WorkerResponse =
  | { kind: "ready"; compilerAvailable: boolean; stdlib: StdlibModule[]; error?: string }
  | {
      kind: "check";
      id: number;
      diagnostics: Diagnostic[];
      ms: number;
      error?: string;
      summary?: ModelSummary;
      summaryError?: string;
    }
  | { kind: "format"; id: number; text: string; diagnostics: Diagnostic[]; error?: string }
  | { kind: "progress"; id: number; text: string }
  | { kind: "run"; id: number; result?: RunResult; error?: string }
  | { kind: "emit"; id: number; bytes?: Uint8Array; name?: string; error?: string };
