// The step forms of a model's sequence heads as one metadata_props entry, `mtl.step`: JSON with
// each head's interface names and its encoder and step graphs as base64 ONNX bytes (browser-safe:
// no Buffer). The runtime reads it back with `readStepForms`.
import { isSequenceDecode } from "../elaborate/decoders";
import type { Graph, WeightMap } from "../ir/types";
import { encodeModel } from "../onnx/encode";
import { stepFormOf, type StepForm } from "./step";

export const STEP_METADATA_KEY = "mtl.step";

/** A StepForm as stored in the model's metadata. */
export type StoredStepForm = Omit<StepForm, "encoder" | "step"> & {
  /** base64 ONNX models without the parameter initializers (they are the main graph's). */
  readonly encoder: string;
  readonly step: string;
};

export interface StepMetadata {
  readonly forms: readonly StoredStepForm[];
  /** Sequence tasks without a step form, and why (decoded by recomputing prefixes). */
  readonly without: Readonly<Record<string, string>>;
}

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The `mtl.step` entry of a lowered graph, or null when it has no sequence task. */
export function stepMetadata(graph: Graph, weights: WeightMap): string | null {
  const sequence = graph.tasks.filter((t) => isSequenceDecode(t.decode));
  if (!sequence.length) return null;
  const forms: StoredStepForm[] = [];
  const without: Record<string, string> = {};
  for (const t of sequence) {
    const f = stepFormOf(graph, weights, t);
    if ("reason" in f) {
      without[t.name] = f.reason;
      continue;
    }
    const { encoder, step, ...names } = f;
    forms.push({ ...names, encoder: toBase64(encodeModel(encoder)), step: toBase64(encodeModel(step)) });
  }
  return JSON.stringify({ forms, without } satisfies StepMetadata);
}
