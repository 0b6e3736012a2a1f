// "Did you mean" for unknown names (tasks, groups): the closest candidate by edit distance, offered
// only when it is close enough to be a plausible typo.

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length];
}

/** The closest candidate within a third of the name's length (at least 1 edit), or null. */
export function closest(name: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

/** A hint line for an unknown name: "did you mean X?" or the list of known names. */
export function unknownNameHint(name: string, candidates: readonly string[], what: string): string {
  const c = closest(name, candidates);
  if (c !== null) return `did you mean "${c}"?`;
  return candidates.length > 0 ? `known ${what}: ${candidates.join(", ")}` : `the model has no ${what}`;
}
