// Preloaded into a child process (node -r bench/report-rss.cjs ...): prints its peak RSS on exit,
// so the benches can compare whole processes (node reports no child's rusage itself).
process.on("exit", () => process.stderr.write(`\nMTL_BENCH_MAX_RSS_KB=${process.resourceUsage().maxRSS}\n`));
