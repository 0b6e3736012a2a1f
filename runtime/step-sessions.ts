// Sessions for the step forms of sequence heads (compiler/lower/step.ts), built on first use from
// the `mtl.step` metadata of the loaded file: each stored graph gets back the parameter
// initializers it reads from the main graph (the weights are stored once), then one session each.
// Without a configuration both keep their width inputs (one session for every configuration);
// with one they are specialised on load like the main graph (runtime/specialise.ts), which lets
// onnxruntime fold the weight slices: the encoder then runs at static speed. A few configurations'
// sessions are kept (least recently used first out).
import * as ort from "onnxruntime-node";
import { fromBase64, STEP_METADATA_KEY, type StepMetadata, type StoredStepForm } from "../compiler/lower/step-meta";
import { decodeModel } from "../compiler/onnx/decode";
import { encodeModel } from "../compiler/onnx/encode";
import type { OnnxGraph, OnnxModel } from "../compiler/onnx/model";
import { createSession } from "./session-load";
import { specialiseBytes } from "./specialise";

/** Configurations whose step sessions are kept per model. */
const KEPT = 4;

export interface StepSessions {
  readonly form: StoredStepForm;
  readonly encoder: ort.InferenceSession;
  readonly step: ort.InferenceSession;
}

/** The stored step metadata of a model (none for files without sequence heads or older files). */
export function stepMetadataOf(model: OnnxModel): StepMetadata | null {
  const text = model.metadata[STEP_METADATA_KEY];
  return text ? (JSON.parse(text) as StepMetadata) : null;
}

/** Every name the graph's nodes read, inside `If` branches too (depthwise convs lower to `If`s). */
function namesRead(g: OnnxGraph, into = new Set<string>()): Set<string> {
  for (const n of g.nodes) {
    n.inputs.forEach((i) => into.add(i));
    for (const a of n.attributes) if (a.kind === "graph") namesRead(a.value, into);
  }
  return into;
}

/** A stored graph with the main graph's initializers that it reads. */
function withWeights(stored: string, main: OnnxModel): Uint8Array {
  const m = decodeModel(fromBase64(stored));
  const have = new Set(m.graph.initializers.map((t) => t.name));
  const reads = namesRead(m.graph);
  const weights = main.graph.initializers.filter((t) => reads.has(t.name) && !have.has(t.name));
  return encodeModel({ ...m, graph: { ...m.graph, initializers: [...m.graph.initializers, ...weights] } });
}

export class StepSessionCache {
  private readonly built = new Map<string, Promise<StepSessions>>();
  constructor(
    private readonly main: OnnxModel,
    private readonly path: string,
    private readonly options: ort.InferenceSession.SessionOptions,
  ) {}

  /**
   * The task's step sessions, or null when the file holds no step form for it; specialised to
   * `widths` (choice index per group, every group) when given.
   */
  get(task: string, widths?: Readonly<Record<string, number>>): Promise<StepSessions> | null {
    const form = stepMetadataOf(this.main)?.forms.find((f) => f.task === task);
    if (!form) return null;
    const key = `${task}|${widths ? JSON.stringify(widths) : "dynamic"}`;
    let p = this.built.get(key);
    if (p)
      this.built.delete(key); // re-inserted below: most recently used last
    else {
      const bytesOf = (stored: string) => {
        const full = withWeights(stored, this.main);
        return widths ? specialiseBytes(full, { widths, run: {} }) : full;
      };
      p = Promise.all([
        createSession(bytesOf(form.encoder), this.path, this.options),
        createSession(bytesOf(form.step), this.path, this.options),
      ]).then(([encoder, step]) => ({ form, encoder, step }));
      p.catch(() => this.built.delete(key));
    }
    this.built.set(key, p);
    while (this.built.size > KEPT) {
      const [oldest, old] = this.built.entries().next().value!;
      this.built.delete(oldest);
      void old.then(release, () => undefined);
    }
    return p;
  }

  async close(): Promise<void> {
    const all = [...this.built.values()];
    this.built.clear();
    for (const p of all) await p.then(release, () => undefined);
  }
}

async function release(s: StepSessions): Promise<void> {
  await s.encoder.release();
  await s.step.release();
}
