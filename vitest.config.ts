import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

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
  "test/bundle-app.test.ts",
  "test/browser-*.test.ts",
  "test/worker.test.ts",
  "test/data-browser.test.ts",
  "test/wasm-kernels-browser.test.ts",
  "test/wasm-precision.test.ts",
];

/**
 * The full tier's files of minutes, slowest first. A clean clone has no timing cache, so vitest
 * would start the largest files first, and learning.test.ts (small, the slowest) could start last
 * and run alone while the other worker idles.
 */
const SLOWEST = [
  "test/learning.test.ts",
  "test/crash.test.ts",
  "test/resume-wasm.test.ts",
  "test/byol-step.test.ts",
  "test/browser-parity.test.ts",
  "test/cli.test.ts",
  "test/wasm-precision.test.ts",
  "test/learner.test.ts",
];

class SlowestFirst extends BaseSequencer {
  async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = SLOWEST.findIndex((s) => f.moduleId.endsWith(s));
      return i < 0 ? SLOWEST.length : i;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: all ? [] : FULL_ONLY,
    pool: "forks",
    // vitest's default leaves a core to its own process, which only waits: on 2 cores that runs one
    // file at a time. Files write only to folders of their own, so two can run side by side.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    sequence: { sequencer: SlowestFirst },
    // the fast tier shows a hang within half a minute; full-tier tests state their own budgets
    testTimeout: all ? 600_000 : 30_000,
    hookTimeout: all ? 600_000 : 30_000,
  },
});
