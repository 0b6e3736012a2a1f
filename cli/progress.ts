// Progress of long commands (profile, bench) on stderr: a bar redrawn in place on a terminal, and
// plain lines at about every tenth of the work otherwise (logs and CI show something is happening).

export function progressReporter(what: string, unit: string): (done: number, total: number) => void {
  let lastTenth = -1;
  return (done, total) => {
    if (process.stderr.isTTY) {
      const width = 30;
      const filled = Math.round((done / total) * width);
      process.stderr.write(
        `\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${total}${done === total ? "\n" : ""}`,
      );
      return;
    }
    const tenth = Math.floor((done / total) * 10);
    if (tenth === lastTenth && done !== total) return;
    lastTenth = tenth;
    process.stderr.write(`${what}: ${done}/${total} ${unit}\n`);
  };
}
