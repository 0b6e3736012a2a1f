// Output helpers shared by the commands, so tests can capture what a command prints.
export const out = {
  log: (s: string) => void process.stdout.write(s.endsWith("\n") ? s : `${s}\n`),
  err: (s: string) => void process.stderr.write(s.endsWith("\n") ? s : `${s}\n`),
};

export const useColor = (stream: NodeJS.WriteStream): boolean => Boolean(stream.isTTY) && !process.env.NO_COLOR;

/** A user mistake the command found (bad file, bad option value): printed plainly, exit code 1 or 2. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1, readonly hint?: string) {
    super(message);
  }
}
