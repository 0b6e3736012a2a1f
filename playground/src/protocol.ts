// Messages between the page and the compiler worker.
import type { Diagnostic } from "../../compiler/diagnostics";
import type { StdlibModule } from "./mtl-language";

/** The file name the editor's text is checked under. */
export const ENTRY_FILE = "main.mtl";

export type WorkerRequest =
  | { kind: "check"; id: number; text: string }
  | { kind: "format"; id: number; text: string };

export type WorkerResponse =
  | { kind: "ready"; compilerAvailable: boolean; stdlib: StdlibModule[]; error?: string }
  | { kind: "check"; id: number; diagnostics: Diagnostic[]; ms: number; error?: string }
  | { kind: "format"; id: number; text: string; diagnostics: Diagnostic[]; error?: string };
