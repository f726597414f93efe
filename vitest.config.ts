import { defineConfig } from "vitest/config";

/** `npm run test:all` (CI) sets BYOL_TESTS=all; `npm test` is the fast tier (see test/tier.ts). */
const all = process.env.BYOL_TESTS === "all";

/** Files of the full tier only: processes, browsers and learning runs end to end, long numerics. */
const FULL_ONLY = [
  "test/learning.test.ts",
  "test/cli.test.ts",
  "test/cli-bench.test.ts",
  "test/embed-html.test.ts",
  "test/crash.test.ts",
  "test/resume-wasm.test.ts",
  "test/package.test.ts",
  "test/browser-*.test.ts",
  "test/worker.test.ts",
  "test/data-browser.test.ts",
  "test/wasm-kernels-browser.test.ts",
  "test/wasm-precision.test.ts",
];

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: all ? [] : FULL_ONLY,
    pool: "forks",
    // the fast tier shows a hang within half a minute; full-tier tests state their own budgets
    testTimeout: all ? 600_000 : 30_000,
    hookTimeout: all ? 600_000 : 30_000,
  },
});
