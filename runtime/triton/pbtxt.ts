// Protobuf text format for Triton's config.pbtxt: strings quoted and escaped, enum values bare,
// repeated scalars as lists, messages in braces, maps as repeated {key, value} entries.

/** An enum value (written bare, e.g. TYPE_FP32). */
export class Enum {
  constructor(readonly value: string) {}
}

export type TextValue = string | number | boolean | Enum | TextMessage | readonly TextValue[] | Map<string, TextValue>;
export interface TextMessage {
  readonly [field: string]: TextValue | undefined;
}

const quote = (s: string): string => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;

function scalar(v: string | number | boolean | Enum): string {
  if (v instanceof Enum) return v.value;
  if (typeof v === "string") return quote(v);
  if (typeof v === "number" && !Number.isFinite(v)) throw new Error(`internal: ${v} in a config.pbtxt`);
  return String(v);
}

const isMessage = (v: TextValue): v is TextMessage =>
  typeof v === "object" && !(v instanceof Enum) && !Array.isArray(v) && !(v instanceof Map);

function field(name: string, v: TextValue, pad: string): string[] {
  if (v instanceof Map)
    return [...v].flatMap(([k, x]) => [
      `${pad}${name} {`,
      `${pad}  key: ${quote(k)}`,
      ...field("value", x, `${pad}  `),
      `${pad}}`,
    ]);
  if (Array.isArray(v)) {
    if (v.length && v.every((x) => isMessage(x as TextValue)))
      return (v as TextMessage[]).flatMap((x) => field(name, x, pad));
    if (!v.length) return [`${pad}${name}: []`];
    return [`${pad}${name}: [ ${(v as (string | number | boolean | Enum)[]).map(scalar).join(", ")} ]`];
  }
  if (isMessage(v)) return [`${pad}${name} {`, ...body(v, `${pad}  `), `${pad}}`];
  return [`${pad}${name}: ${scalar(v as string | number | boolean | Enum)}`];
}

function body(m: TextMessage, pad: string): string[] {
  return Object.entries(m).flatMap(([k, v]) => (v === undefined ? [] : field(k, v, pad)));
}

export const toPbtxt = (m: TextMessage): string => `${body(m, "").join("\n")}\n`;
