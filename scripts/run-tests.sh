#!/usr/bin/env bash
# `npm test`: type-check, run every vitest suite, and end with one plain totals line.
set -u
cd "$(dirname "$0")/.."
npx tsc --noEmit -p tsconfig.json || exit 1
# Every TypeScript source is Prettier-formatted (.prettierrc.json, 120 columns); `npm run format` fixes it.
npm run --silent format:check || {
  echo "unformatted TypeScript sources (listed above): run \`npm run format\`" >&2
  exit 1
}
mkdir -p test/artifacts
rm -f test/artifacts/vitest.json
npx vitest run --reporter=default --reporter=json --outputFile.json=test/artifacts/vitest.json
status=$?
[ -f test/artifacts/vitest.json ] && node scripts/test-summary.mjs test/artifacts/vitest.json
exit $status
