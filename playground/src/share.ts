// Editor text <-> URL hash: deflate-raw (CompressionStream) + base64url, as `#code=<...>`;
// the controls follow as `&budget=<percent>&prefer=<task>:<weight>,...` (neither part ever
// contains '&' or '=' of its own: base64url has neither, task names are identifiers).

const PREFIX = "code=";

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Blob([bytes as BlobPart]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

export function toBase64Url(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64Url(s: string): Uint8Array {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export async function encodeSource(text: string): Promise<string> {
  const packed = await pipe(new TextEncoder().encode(text), new CompressionStream("deflate-raw"));
  return PREFIX + toBase64Url(packed);
}

/** Returns the source held in a URL hash, or undefined if the hash holds none (or is corrupt). */
export async function decodeHash(hash: string): Promise<string | undefined> {
  const h = hash.replace(/^#/, "").split("&")[0];
  if (!h.startsWith(PREFIX)) return undefined;
  try {
    const bytes = await pipe(fromBase64Url(h.slice(PREFIX.length)), new DecompressionStream("deflate-raw"));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** The control settings a link carries besides the text. */
export interface ControlState {
  budget?: number; // percent of the full model
  prefer?: Record<string, number>;
}

export function encodeControls(c: ControlState): string {
  const parts: string[] = [];
  if (c.budget !== undefined && Number.isFinite(c.budget)) parts.push(`budget=${+c.budget.toFixed(2)}`);
  const prefer = Object.entries(c.prefer ?? {});
  if (prefer.length)
    parts.push(`prefer=${prefer.map(([t, w]) => `${encodeURIComponent(t)}:${+w.toFixed(3)}`).join(",")}`);
  return parts.map((p) => `&${p}`).join("");
}

export function decodeControls(hash: string): ControlState {
  const out: ControlState = {};
  for (const kv of hash.replace(/^#/, "").split("&").slice(1)) {
    const [k, v = ""] = kv.split("=");
    if (k === "budget") {
      const n = Number(v);
      if (Number.isFinite(n) && n > 0 && n <= 100) out.budget = n;
    } else if (k === "prefer") {
      const prefer: Record<string, number> = {};
      for (const item of v.split(",")) {
        const i = item.lastIndexOf(":");
        const w = Number(item.slice(i + 1));
        if (i > 0 && Number.isFinite(w) && w >= 0) prefer[decodeURIComponent(item.slice(0, i))] = w;
      }
      if (Object.keys(prefer).length) out.prefer = prefer;
    }
  }
  return out;
}
