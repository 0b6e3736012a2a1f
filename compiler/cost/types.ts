// The cost table, factorised: a model's cost at a configuration is the sum of its terms, and each
// term depends on the widths of only a few groups (a layer's cost depends on its input's and its
// output's groups). This keeps the table exact and small even when the full product of
// configurations (e.g. 4^21 for twenty task heads) could never be listed.

export interface GroupInfo {
  readonly name: string;
  readonly part: string; // "shared" or a task name
  readonly choices: readonly number[]; // width multipliers, ascending
}

export interface CostTerm {
  readonly part: string; // "shared" or a task name: the term is paid only when that part runs
  readonly groups: readonly string[]; // the groups this term depends on (may be empty)
  /** Row-major tables over the groups' choice indices (the last group varies fastest). */
  readonly macs: readonly number[];
  readonly params: readonly number[];
}

export interface CostTable {
  readonly groups: readonly GroupInfo[];
  readonly tasks: readonly string[];
  readonly terms: readonly CostTerm[];
}
