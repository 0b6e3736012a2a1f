// Examples that ship trained (examples/trained/): while the editor holds such an example's exact
// source, the playground plans with the accuracy profile `mtl eval` measured on the trained
// weights, and says what the chosen configuration really achieved per task.
import multimnistProfile from "../../examples/trained/multimnist/profile.json";
import { isSearchError, parseProfile, type Profile, type ProfileTask } from "../../runtime/search/index";

/** Example file name (as in the Examples menu) -> its measured profile, as shipped. */
const SHIPPED: Readonly<Record<string, unknown>> = { "multimnist.mtl": multimnistProfile };

/**
 * The measured profile for this editor text: the shipped one when the text is exactly the example's
 * source (the weights were trained from it), else undefined (an edited model is not the measured one).
 */
export function trainedProfile(text: string, examples: readonly { name: string; text: string }[]): Profile | undefined {
  const ex = examples.find((e) => e.name in SHIPPED && e.text === text);
  if (!ex) return undefined;
  if (!parsed.has(ex.name)) {
    const p = parseProfile(SHIPPED[ex.name]);
    parsed.set(ex.name, isSearchError(p) ? undefined : p);
  }
  return parsed.get(ex.name);
}
const parsed = new Map<string, Profile | undefined>(); // one object per example: useProfile() sees no change

/** "measured on 10000 test pairs: left accuracy 89.73%, right accuracy 83.74%" at these widths, if measured. */
export function measuredLine(profile: Profile, widths: Readonly<Record<string, number>>): string | undefined {
  const parts: string[] = [];
  for (const [task, spec] of Object.entries(profile.tasks)) {
    const t: ProfileTask = Array.isArray(spec) ? { points: spec } : (spec as ProfileTask);
    const point = t.points.find((p) =>
      Object.entries(p.config).every(([g, w]) => Math.abs((widths[g] ?? 1) - w) < 1e-9),
    );
    if (!point) return undefined;
    const value = t.metric === "accuracy" ? `${(point.score * 100).toFixed(2)}%` : point.score.toPrecision(4);
    parts.push(`${task} ${t.metric ?? "score"} ${value}`);
  }
  const n = profile.measured ? ` on ${profile.measured.images} ${profile.measured.split} samples` : "";
  return `measured${n}: ${parts.join(", ")}`;
}
