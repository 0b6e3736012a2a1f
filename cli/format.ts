// Counts and sizes in what the commands print: "1 task" / "2 tasks", "96 kB" rather than "0.0 MB".

/** "1 task", "2 tasks", "1,234 configurations"; `many` for irregular plurals. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

/** A byte count with a unit that keeps two or three significant digits: "512 B", "96.0 kB", "12.3 MB", "1.20 GB". */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = bytes;
  let u = 0;
  while (Math.abs(v) >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  if (u === 0) return `${Math.round(v)} B`;
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toFixed(digits)} ${units[u]}`;
}

/** MACs and parameter counts as `mtl info` prints them: "1.814G", "11.69M", "96.0K", "512". */
export function human(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(3)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(Math.round(n));
}
