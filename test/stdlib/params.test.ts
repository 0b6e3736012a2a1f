// Parameter counts and MACs of the stdlib parts at full width (buildCostTable / costAt), at
// 224x224, batch 1. The torchvision classifiers match torchvision's parameter counts exactly and
// the published MACs (conv and linear layers). Every figure is also the one docs/stdlib.md prints:
// each row of its cost tables is `| \`id\` | ... | params | MACs |` with the numbers written out.
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { optimise } from "../../compiler/compile";
import { buildCostTable, costAt } from "../../compiler/cost/table";
import { memoryHost } from "../../compiler/host";
import { checkProgram } from "../../compiler/index";
import { stdlibFiles } from "../helpers/check";

const IMPORTS = `import { resnet18, resnet34, resnet50, resnet18_features } from "std/encoders/resnet"
import { mobilenet_v2, mobilenet_v2_classifier } from "std/encoders/mobilenet"
import { vit_b_16, vit_tiny, vit_classifier } from "std/encoders/vit"
import { classifier, mlp_classifier } from "std/heads/classify"
import { fcn } from "std/heads/dense"
import { aspp, deeplab_v3plus } from "std/heads/deeplab"
import { fpn } from "std/heads/fpn"
import { regressor } from "std/heads/regression"
import { transformer_decoder } from "std/heads/sequence"
`;

/** A whole torchvision-style classifier: the encoder, and the classifier at model level. */
const whole = (encoder: string, head: string) => `${IMPORTS}
model M {
  input image: f32[1, 3, 224, 224]
  encoder backbone = ${encoder}
  logits = ${head}
  task t { head logits }
}
`;

/** A head alone, on ResNet-18's outputs at 224x224 (final map 512x7x7; pyramid 64x56x56 .. 512x7x7). */
const head = (expr: string) => `${IMPORTS}
model M {
  input image: f32[1, 3, 224, 224]
  input tokens: i64[1, T]
  encoder [c2, c3, c4, c5] = resnet18_features(image)
  task t { head ${expr} }
  task other { head classifier(c5, 2) }   // so the encoder is shared, not part of \`t\`
}
`;

interface Row {
  id: string;
  source: string;
  part: "all" | "head"; // the whole model, or the task's own part
  params?: number; // published figures, checked exactly
  macs?: number;
}

const ROWS: Row[] = [
  {
    id: "resnet18 + classifier(1000)",
    source: whole("resnet18(image)", "classifier(backbone, 1000)"),
    part: "all",
    params: 11_689_512,
    macs: 1.814e9,
  },
  {
    id: "resnet34 + classifier(1000)",
    source: whole("resnet34(image)", "classifier(backbone, 1000)"),
    part: "all",
    params: 21_797_672,
    macs: 3.664e9,
  },
  {
    id: "resnet50 + classifier(1000)",
    source: whole("resnet50(image)", "classifier(backbone, 1000)"),
    part: "all",
    params: 25_557_032,
    macs: 4.089e9,
  },
  {
    id: "mobilenet_v2 + mobilenet_v2_classifier(1000)",
    source: whole("mobilenet_v2(image)", "mobilenet_v2_classifier(backbone, 1000)"),
    part: "all",
    params: 3_504_872,
    macs: 0.301e9,
  },
  {
    id: "vit_b_16 + vit_classifier(1000)",
    source: whole("vit_b_16(image)", "vit_classifier(backbone, 1000)"),
    part: "all",
    params: 86_567_656,
    macs: 17.564e9,
  },
  {
    id: "vit_tiny + vit_classifier(1000)",
    source: whole("vit_tiny(image)", "vit_classifier(backbone, 1000)"),
    part: "all",
  },
  { id: "classifier(c5, 1000)", source: head("classifier(c5, 1000)"), part: "head" },
  { id: "mlp_classifier(c5, 1000)", source: head("mlp_classifier(c5, 1000)"), part: "head" },
  { id: "regressor(c5, 4)", source: head("regressor(c5, 4)"), part: "head" },
  { id: "fcn(c5, classes: 21)", source: head("fcn(c5, classes: 21)"), part: "head" },
  { id: "aspp(c5, classes: 21)", source: head("aspp(c5, classes: 21)"), part: "head" },
  {
    id: "deeplab_v3plus([c2, c3, c4, c5], classes: 21)",
    source: head("deeplab_v3plus([c2, c3, c4, c5], classes: 21)"),
    part: "head",
  },
  { id: "fpn([c2, c3, c4, c5], classes: 21)", source: head("fpn([c2, c3, c4, c5], classes: 21)"), part: "head" },
  {
    id: "transformer_decoder(c5, tokens, vocab: 1000)",
    source: head("transformer_decoder(c5, tokens, vocab: 1000)"),
    part: "head",
  },
];

function fullCost(row: Row): { params: number; macs: number } {
  const r = checkProgram("main.mtl", memoryHost({ ...stdlibFiles, "main.mtl": row.source }));
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  if (errors.length) throw new Error(`${row.id}: ${errors.map((d) => `${d.code} ${d.message}`).join("; ")}`);
  const graph = optimise(r.graphs[0]);
  const table = buildCostTable(graph);
  const full = Object.fromEntries(graph.groups.map((g) => [g.name, g.choices.length - 1]));
  const c = costAt(table, full);
  return row.part === "all" ? { params: c.params, macs: c.macs } : c.byPart.t;
}

const docs = readFileSync(join(import.meta.dirname, "..", "..", "docs", "stdlib.md"), "utf8");
const withCommas = (n: number) => n.toLocaleString("en-US");

describe("stdlib costs at full width", () => {
  for (const row of ROWS)
    it(row.id, () => {
      const c = fullCost(row);
      if (process.env.MTL_PRINT)
        appendFileSync(process.env.MTL_PRINT, `| \`${row.id}\` | ${withCommas(c.params)} | ${withCommas(c.macs)} |\n`);
      if (row.params !== undefined) expect(c.params).toBe(row.params);
      if (row.macs !== undefined) expect(Math.round(c.macs / 1e6) / 1e3, `MACs ${c.macs}`).toBe(row.macs / 1e9);
      // docs/stdlib.md prints the same numbers.
      const line = docs.split("\n").find((l) => l.startsWith(`| \`${row.id}\` |`));
      expect(
        line,
        `docs/stdlib.md has no row for \`${row.id}\` (want params ${withCommas(c.params)}, MACs ${withCommas(c.macs)})`,
      ).toBeDefined();
      const cells = line!.split("|").map((s) => s.trim());
      expect(cells).toContain(withCommas(c.params));
      expect(cells).toContain(withCommas(c.macs));
    });
});
