// The cost model: exact MACs and parameters as functions of the width configuration.
export type { CostTable, CostTerm, GroupInfo } from "./types";
export { directCost, nodeMacs, paramCount, type Cost } from "./node-cost";
export { buildCostTable, costAt } from "./table";
