// The `mtl` command line: one subcommand per job, parsed by commander.
// Exit codes: 0 success, 1 errors in the user's input, 2 usage errors, 3 internal errors (bugs).
import { Command, CommanderError } from "commander";
import { runCheck } from "./commands/check";
import { out, UserError } from "./io";

function program(): Command {
  const p = new Command("mtl")
    .description("Compile and run controllable multi-task networks: one ONNX file holds every width configuration.")
    .version("0.1.0")
    .showHelpAfterError("(run `mtl --help` for usage)")
    .exitOverride();

  p.command("check")
    .description("check .mtl files and print their diagnostics")
    .argument("<files...>", ".mtl files")
    .option("--json", "print the diagnostics as a JSON array")
    .option("--root <dir>", "project root that imports may not leave (default: the current folder)")
    .action((files: string[], o) => {
      result = runCheck(files, o);
    });
  return p;
}

let result = 0;

export async function main(argv: string[]): Promise<number> {
  result = 0;
  try {
    await program().parseAsync(argv, { from: "user" });
    return result;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof UserError) {
      out.err(`error: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ""}`);
      return e.exitCode;
    }
    out.err(`internal error (a bug in mtl, please report it): ${(e as Error).stack ?? e}`);
    return 3;
  }
}
