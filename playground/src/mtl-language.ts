// The `mtl` language for Monaco: Monarch tokenizer, brackets/comments/auto-closing,
// keyword/builtin completion and builtin hover. Every name table is derived from the compiler.
import type * as Monaco from "monaco-editor/editor";
import { decoders } from "../../compiler/elaborate/decoders";
import { functions } from "../../compiler/elaborate/functions";
import { layers } from "../../compiler/elaborate/layers";
import { INPUT_DTYPE_NAMES, TYPE_NAMES } from "../../compiler/names";
import { keywordNames } from "../../grammar/tokens";
import { inPrefer, openCall, paramsOf, taskNames } from "./completion-context";
import { LOSS_KINDS, METRICS } from "../../compiler/train/spec";
import { TRAIN_SETTINGS } from "../../compiler/elaborate/train";

export const LANGUAGE_ID = "mtl";

/** The grammar's keywords (grammar/tokens.ts): a keyword added there is highlighted and completed here. */
export const KEYWORDS: readonly string[] = keywordNames;

export { TYPE_NAMES };
/** Element types written in input declarations such as `f32[N, 3, 64, 64]`: exactly those the compiler accepts. */
export const DTYPE_NAMES: readonly string[] = INPUT_DTYPE_NAMES;

/** Builtin layers (and their aliases), with their docs, from the compiler's op registry. */
export const BUILTIN_LAYERS: Readonly<Record<string, string>> = Object.fromEntries(
  [...layers].map(([name, def]) => [name, def.doc]),
);

/** Builtin functions (`min`, `make_divisible`, ...), with their docs. */
export const BUILTIN_FUNCTIONS: Readonly<Record<string, string>> = Object.fromEntries(
  [...functions].map(([name, def]) => [name, def.doc]),
);

/** Output decoders usable after `decode`, from the compiler's decoder catalogue. */
export const DECODERS: Readonly<Record<string, string>> = Object.fromEntries(
  [...decoders].map(([name, def]) => [name, def.doc]),
);

/** Losses, metrics and `train` settings, from the compiler's catalogues (highlighted like builtins). */
const TRAINING_WORDS = [...new Set([...LOSS_KINDS, ...Object.keys(METRICS), ...Object.keys(TRAIN_SETTINGS)])].filter(
  (w) => !(w in BUILTIN_LAYERS) && !(w in BUILTIN_FUNCTIONS) && !(w in DECODERS),
);

export const KEYWORD_DOCS: Partial<Record<string, string>> = {
  model: "Declares a multi-task model: inputs, widths, encoders, tasks, budgets and preferences.",
  block: "Declares a reusable sub-network: `block name(x, out: int) { ... return y }`.",
  encoder: "Declares a shared encoder inside a model.",
  task: "Declares a task: `task name { head ... decode ... }`.",
  head: "The task's head network.",
  decode: "How the task's output is decoded.",
  widths: "Width choices for every slimmable group, e.g. `widths 0.25, 0.5, 1.0`.",
  budget: "A compute budget: `budget macs <= 60%`, `params <= 5M`, `latency <= 12ms`.",
  prefer: "Task preferences used by the configuration search: `prefer a: 0.7, b: 0.3`.",
  train: "How `mtl train` trains the model: `train { optimizer sgd(lr: 0.1) epochs 10 batch 256 ... }`.",
  loss: `The task's training loss: ${LOSS_KINDS.join(", ")}; e.g. \`loss cross_entropy(ignore: 255)\`.`,
  metric: "The task's evaluation metric, e.g. `metric accuracy` or `metric miou`.",
  fixed: "Marks a layer whose channel count never slims (e.g. a classifier's class count).",
  input: "Declares a model input: `input image: f32[N, 3, 224, 224]`.",
  import: 'Imports blocks from another file: `import { resnet18 } from "std/encoders/resnet"`.',
};

export const languageConfiguration: Monaco.languages.LanguageConfiguration = {
  comments: { lineComment: "//", blockComment: ["/*", "*/"] },
  brackets: [
    ["{", "}"],
    ["[", "]"],
    ["(", ")"],
  ],
  autoClosingPairs: [
    { open: "{", close: "}" },
    { open: "[", close: "]" },
    { open: "(", close: ")" },
    { open: '"', close: '"', notIn: ["string", "comment"] },
    { open: "/*", close: " */", notIn: ["string"] },
  ],
  surroundingPairs: [
    { open: "{", close: "}" },
    { open: "[", close: "]" },
    { open: "(", close: ")" },
    { open: '"', close: '"' },
  ],
  indentationRules: {
    increaseIndentPattern: /^.*\{[^}"']*$/,
    decreaseIndentPattern: /^\s*\}/,
  },
  wordPattern: /[A-Za-z_][A-Za-z0-9_]*|-?\d+(?:\.\d+)?(?:[GMK%]|ms|us)?/,
};

export const monarch: Monaco.languages.IMonarchLanguage & Record<string, unknown> = {
  defaultToken: "invalid",
  keywords: [...KEYWORDS],
  typeKeywords: [...TYPE_NAMES, ...DTYPE_NAMES],
  builtins: [
    ...new Set([...Object.keys(BUILTIN_LAYERS), ...Object.keys(BUILTIN_FUNCTIONS), ...Object.keys(DECODERS)]),
    ...TRAINING_WORDS,
  ],
  operators: ["|>", "?", ":", "||", "&&", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "!", "=", ".."],
  symbols: /[=><!?:&|+\-*\/%.]+/,
  escapes: /\\(?:[\\"nrt0]|u[0-9A-Fa-f]{4})/,
  tokenizer: {
    root: [
      [
        /[A-Za-z_][A-Za-z0-9_]*/,
        {
          cases: {
            "@keywords": "keyword",
            "@typeKeywords": "type",
            "@builtins": "predefined",
            "@default": "identifier",
          },
        },
      ],
      { include: "@whitespace" },
      [/[{}()\[\]]/, "@brackets"],
      // numbers with unit suffixes: 2.5G 300M 5K 60% 12ms; `0..4` stays a range
      [/\d+\.\d+(?:[eE][-+]?\d+)?(?:ms|us|[GMK%])?/, "number.float"],
      [/\d+(?:ms|us|[GMK%])?/, "number"],
      [/\.\.(?!\.)/, "operator"],
      [/@symbols/, { cases: { "@operators": "operator", "@default": "invalid" } }],
      [/[,;]/, "delimiter"],
      [/"([^"\\]|\\.)*$/, "string.invalid"],
      [/"/, { token: "string.quote", bracket: "@open", next: "@string" }],
    ],
    string: [
      [/[^\\"]+/, "string"],
      [/@escapes/, "string.escape"],
      [/\\./, "string.escape.invalid"],
      [/"/, { token: "string.quote", bracket: "@close", next: "@pop" }],
    ],
    comment: [
      [/[^\/*]+/, "comment"],
      [/\*\//, "comment", "@pop"],
      [/[\/*]/, "comment"],
    ],
    whitespace: [
      [/[ \t\r\n]+/, "white"],
      [/\/\*/, "comment", "@comment"],
      [/\/\/.*$/, "comment"],
    ],
  },
};

export interface StdlibModule {
  /** Import path as written in source, e.g. "std/encoders/resnet". */
  module: string;
  /** Names of the blocks it declares. */
  blocks: string[];
}

/** Registers the language, its tokenizer, completion and hover. Returns the disposables. */
export function registerMtlLanguage(monaco: typeof Monaco, getStdlib: () => StdlibModule[]): Monaco.IDisposable[] {
  monaco.languages.register({ id: LANGUAGE_ID, extensions: [".mtl"], aliases: ["mtl", "MTL"] });
  const out: Monaco.IDisposable[] = [];
  out.push(monaco.languages.setLanguageConfiguration(LANGUAGE_ID, languageConfiguration));
  out.push(monaco.languages.setMonarchTokensProvider(LANGUAGE_ID, monarch));

  const Kind = monaco.languages.CompletionItemKind;
  const Rule = monaco.languages.CompletionItemInsertTextRule;

  out.push(
    monaco.languages.registerCompletionItemProvider(LANGUAGE_ID, {
      triggerCharacters: ['"', "/", "{"],
      provideCompletionItems(model, position) {
        const word = model.getWordUntilPosition(position);
        const range = new monaco.Range(position.lineNumber, word.startColumn, position.lineNumber, word.endColumn);
        const before = model.getValueInRange(
          new monaco.Range(position.lineNumber, 1, position.lineNumber, position.column),
        );
        const stdlib = getStdlib();

        // Inside `from "...`: offer stdlib module paths.
        const fromMatch = /from\s+"([^"]*)$/.exec(before);
        if (fromMatch) {
          const typed = fromMatch[1];
          const start = position.column - typed.length;
          const r = new monaco.Range(position.lineNumber, start, position.lineNumber, position.column);
          return {
            suggestions: stdlib.map((m) => ({
              label: m.module,
              kind: Kind.Module,
              detail: m.blocks.length ? `blocks: ${m.blocks.join(", ")}` : "stdlib module",
              insertText: m.module,
              range: r,
            })),
          };
        }
        // Inside `import { ...`: offer stdlib block names.
        if (/import\s*\{[^}]*$/.test(before)) {
          return {
            suggestions: stdlib.flatMap((m) =>
              m.blocks.map((b) => ({ label: b, kind: Kind.Function, detail: m.module, insertText: b, range })),
            ),
          };
        }
        // After `loss` / `metric`: the catalogue; at the start of a line inside `train { }`: its settings.
        const afterLoss = /\bloss\s+[A-Za-z_]*$/.test(before);
        if (afterLoss || /\bmetric\s+[A-Za-z_]*$/.test(before)) {
          const names = afterLoss ? [...LOSS_KINDS] : Object.keys(METRICS);
          const detail = (n: string) => (afterLoss ? "loss" : `metric: ${METRICS[n].summary}`);
          return {
            suggestions: names.map((n) => ({
              label: n,
              kind: Kind.EnumMember,
              detail: detail(n),
              insertText: n,
              range,
            })),
          };
        }
        const textBefore = model.getValueInRange(new monaco.Range(1, 1, position.lineNumber, position.column));
        const trainAt = textBefore.search(/\btrain\s*\{[^}]*$/);
        if (trainAt >= 0 && /^\s*[A-Za-z_]*$/.test(before)) {
          const settings = Object.entries(TRAIN_SETTINGS);
          const item = ([n, example]: [string, string]) => ({
            label: n,
            kind: Kind.Property,
            detail: example,
            insertText: `${n} `,
            range,
          });
          return { suggestions: settings.map(item) };
        }
        const afterDecode = /\bdecode\s+[A-Za-z_]*$/.test(before);
        const suggestions: Monaco.languages.CompletionItem[] = [];
        // Inside a call: its named parameters first.
        const callee = openCall(before);
        for (const p of callee ? paramsOf(callee) : []) {
          suggestions.push({
            label: `${p.name}:`,
            kind: Kind.Property,
            detail: `${callee} ${p.detail}`,
            insertText: `${p.name}: `,
            range,
            sortText: `0${p.name}`,
          });
        }
        // In `prefer`: the model's tasks.
        if (inPrefer(before)) {
          for (const t of taskNames(model.getValue()))
            suggestions.push({
              label: t,
              kind: Kind.EnumMember,
              detail: "task",
              insertText: `${t}: `,
              range,
              sortText: `0${t}`,
            });
          return { suggestions };
        }
        for (const [name, doc] of Object.entries(DECODERS)) {
          suggestions.push({
            label: name,
            kind: Kind.Function,
            detail: "decoder",
            documentation: doc,
            insertText: name,
            range,
            sortText: afterDecode ? `0${name}` : `3${name}`,
          });
        }
        if (afterDecode) return { suggestions };
        for (const kw of KEYWORDS) {
          suggestions.push({
            label: kw,
            kind: Kind.Keyword,
            documentation: KEYWORD_DOCS[kw],
            insertText: kw,
            range,
            sortText: `2${kw}`,
          });
        }
        for (const [name, doc] of Object.entries(BUILTIN_FUNCTIONS)) {
          suggestions.push({
            label: name,
            kind: Kind.Function,
            detail: "builtin function",
            documentation: doc,
            insertText: `${name}($0)`,
            insertTextRules: Rule.InsertAsSnippet,
            range,
            sortText: `1${name}`,
          });
        }
        for (const t of [...TYPE_NAMES, ...DTYPE_NAMES]) {
          suggestions.push({ label: t, kind: Kind.TypeParameter, insertText: t, range, sortText: `4${t}` });
        }
        for (const [name, doc] of Object.entries(BUILTIN_LAYERS)) {
          if (name in DECODERS) continue; // softmax is both; listed once
          suggestions.push({
            label: name,
            kind: Kind.Function,
            detail: "builtin layer",
            documentation: doc,
            insertText: `${name}($0)`,
            insertTextRules: Rule.InsertAsSnippet,
            range,
            sortText: `1${name}`,
          });
        }
        const snippets: [string, string, string][] = [
          [
            "model",
            "model declaration",
            "model ${1:Name} {\n\tinput ${2:image}: f32[N, 3, 224, 224]\n\twidths 0.25, 0.5, 0.75, 1.0\n\t$0\n}",
          ],
          [
            "task",
            "task declaration",
            "task ${1:name} { head ${2:conv}(${3:backbone}, ${4:classes}) decode ${5:argmax}(axis: 1) }",
          ],
          ["block", "block declaration", "block ${1:name}(x, out: int) {\n\t$0\n\treturn x\n}"],
          ["import", "import from a module", 'import { $2 } from "${1:std/}"'],
        ];
        for (const [label, detail, body] of snippets) {
          suggestions.push({
            label: `${label} …`,
            filterText: label,
            kind: Kind.Snippet,
            detail,
            insertText: body,
            insertTextRules: Rule.InsertAsSnippet,
            range,
            sortText: `5${label}`,
          });
        }
        return { suggestions };
      },
    }),
  );

  out.push(
    monaco.languages.registerHoverProvider(LANGUAGE_ID, {
      provideHover(model, position) {
        const word = model.getWordAtPosition(position);
        if (!word) return null;
        const w = word.word;
        const range = new monaco.Range(position.lineNumber, word.startColumn, position.lineNumber, word.endColumn);
        const parts: string[] = [];
        if (w in BUILTIN_LAYERS) parts.push(`**${w}** — builtin layer\n\n${BUILTIN_LAYERS[w]}`);
        if (w in BUILTIN_FUNCTIONS) parts.push(`**${w}** — builtin function\n\n${BUILTIN_FUNCTIONS[w]}`);
        if (w in DECODERS) parts.push(`**${w}** — decoder\n\n${DECODERS[w]}`);
        const kwDoc = KEYWORD_DOCS[w];
        if (kwDoc) parts.push(`**${w}** — keyword\n\n${kwDoc}`);
        for (const m of getStdlib()) if (m.blocks.includes(w)) parts.push(`**${w}** — block from \`${m.module}\``);
        if (!parts.length) return null;
        return { range, contents: parts.map((value) => ({ value })) };
      },
    }),
  );
  return out;
}

export function defineThemes(monaco: typeof Monaco): void {
  monaco.editor.defineTheme("mtl-dark", {
    base: "vs-dark",
    inherit: true,
    rules: [
      { token: "keyword", foreground: "C586C0" },
      { token: "type", foreground: "4EC9B0" },
      { token: "predefined", foreground: "DCDCAA" },
      { token: "number", foreground: "B5CEA8" },
      { token: "number.float", foreground: "B5CEA8" },
      { token: "string", foreground: "CE9178" },
      { token: "string.quote", foreground: "CE9178" },
      { token: "comment", foreground: "6A9955", fontStyle: "italic" },
      { token: "operator", foreground: "D4D4D4" },
      { token: "invalid", foreground: "F44747" },
    ],
    colors: {},
  });
}
