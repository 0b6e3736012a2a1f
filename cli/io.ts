// Output helpers shared by the commands, so tests can capture what a command prints.
import { MtlError } from "../compiler/errors";

export const out = {
  log: (s: string) => void process.stdout.write(s.endsWith("\n") ? s : `${s}\n`),
  err: (s: string) => void process.stderr.write(s.endsWith("\n") ? s : `${s}\n`),
};

export const useColor = (stream: NodeJS.WriteStream): boolean => Boolean(stream.isTTY) && !process.env.NO_COLOR;

/**
 * A user mistake the command found (bad file, bad option value): printed plainly, exit code 1 or 2.
 * Codes (docs/errors.md): MTL-CLI-001 usage (exit 2), MTL-CLI-002 an input file or value, MTL-CLI-003
 * an output path, MTL-CLI-004 a busy port; MTL-CLI-005 a request the model cannot serve.
 */
export class UserError extends MtlError {
  constructor(message: string, exitCode = 1, hint?: string, code = exitCode === 2 ? "MTL-CLI-001" : "MTL-CLI-002") {
    super(code, message, hint, exitCode);
  }
}
