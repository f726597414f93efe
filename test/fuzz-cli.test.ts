// Fuzzing the flags of every `byol` command in process: random values (negative, zero, huge, NaN,
// non-numeric, empty), unknown, repeated and valueless flags, stray arguments, --config files.
// Each command line either stops with a usage error (exit code 2) on one line naming the flag and
// its value, or reaches the slow start — taking the run lock, starting the backend, the bench
// suite — where a stub stops it: every flag is checked before any of that. Replay with BYOL_FUZZ_SEED.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { UsageError } from "../src/cli/args";
import { benchCommand } from "../src/cli/bench";
import { COMMANDS as REGISTRY } from "../src/cli/commands";
import { embedCommand } from "../src/cli/embed";
import { evalCommand } from "../src/cli/evaluate";
import { exportCommand } from "../src/cli/export";
import { similarCommand } from "../src/cli/similar";
import { train } from "../src/cli/train";
import { SEED } from "./fuzz-cases";
import { pngBytes } from "./image-files";
import { fullTier } from "./tier";

/** Where a command reaches its slow start (stubbed below). */
const { Stop } = vi.hoisted(() => ({ Stop: class Stop extends Error {} }));
vi.mock("../src/backend", async (original) => ({ ...(await original<object>()), setBackend: async () => Promise.reject(new Stop("backend")) }));
vi.mock("../src/train/run-lock", () => ({ lockRunDir: () => { throw new Stop("run lock"); } }));
vi.mock("../src/cli/bench-suite", () => ({ runBench: async () => Promise.reject(new Stop("bench suite")), printBench: () => {} }));

/** Command lines per command: each stops before the slow start, so they are cheap. */
const CASES = fullTier ? 200 : 60;

const dir = mkdtempSync(join(tmpdir(), "byol-fuzz-cli-"));
const images = join(dir, "images");
mkdirSync(images);
writeFileSync(join(images, "a.png"), pngBytes(8, 8, new Uint8Array(256).fill(90)));
const configs = Object.entries({ ok: '{"steps": 5, "quiet": true}', notJson: "{steps", bad: '{"lr": -1}', unknown: '{"stepz": 5}', quietString: '{"quiet": "false"}', nested: '{"batch": [64]}', array: "[]" }).map(([name, text]) => {
  writeFileSync(join(dir, `${name}.json`), text);
  return join(dir, `${name}.json`);
});

const NUMBERS = ["-1", "0", "1", "2", "3", "8", "0.5", "2.5", "1e3", "1e20", "1e309", "9007199254740993", "4294967296", "NaN", "Infinity", "-Infinity", "abc", "", " ", "0x10", "-0", "10k"];
const PATHS = [dir, images, join(dir, "missing"), join(images, "a.png"), join(dir, "out.csv"), join(dir, "view.html"), join(dir, "w.safetensors"), ""];
const WORDS = ["", "x", "full", "none", "knn", "pca", "umap", "tfjs", "torchvision", "wasm", "cpu", "auto", "webgl", "resnet18", "small-cnn", "crop", "pad", "byol", "simsiam", "vicreg", "avgpool", "grid3", "test", "train", "anchor", "default", "simd", "relaxed-simd", "scalar", "1", "3"];

/** What a flag takes: a number, a path, one of some words, a layer name (any word), nothing, a config file. */
type Kind = "number" | "path" | "choice" | "layer" | "switch" | "config";
const pools: Record<Exclude<Kind, "switch">, string[]> = { number: NUMBERS, path: PATHS, choice: WORDS, layer: WORDS, config: [...configs, join(dir, "missing.json")] };
/** Values no flag of the kind accepts: a command line holding one must not reach the slow start. */
const BAD: Record<Exclude<Kind, "switch">, string[]> = {
  number: ["NaN", "abc", "", " ", "Infinity", "-Infinity", "1e309", "10k"],
  path: [""],
  choice: ["x", ""],
  layer: [""],
  config: configs.filter((c) => !c.endsWith("ok.json")).concat(join(dir, "missing.json")),
};
const BACKEND = { backend: "choice", threads: "number" } as const;

/** Each command's flags by the kind of value they take. */
const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; flags: Record<string, Kind> }> = {
  train: {
    run: train,
    flags: {
      method: "choice", data: "path", "image-size": "number", channels: "choice", fit: "choice", "cache-mb": "number", steps: "number", epochs: "number", minutes: "number", ...BACKEND, batch: "number", seed: "number",
      out: "path", resume: "switch", overwrite: "switch", "init-from": "path", arch: "choice", width: "number", depth: "number", stages: "number", stem: "choice", "zero-init-residual": "switch", tap: "layer", representation: "layer",
      lr: "number", "predictor-lr": "number", warmup: "number", tau: "number", augment: "choice", "crop-min": "number", limit: "number", "eval-every": "number", "log-every": "number",
      "checkpoint-every": "number", final: "choice", config: "config", quiet: "switch",
    },
  },
  eval: { run: evalCommand, flags: { checkpoint: "path", data: "path", limit: "number", "cache-mb": "number", "no-linear": "switch", tap: "layer", ...BACKEND, json: "switch" } },
  embed: { run: embedCommand, flags: { checkpoint: "path", out: "path", html: "path", dims: "number", projection: "choice", method: "choice", split: "choice", limit: "number", data: "path", "cache-mb": "number", ...BACKEND } },
  export: { run: exportCommand, flags: { checkpoint: "path", format: "choice", out: "path", overwrite: "switch", ...BACKEND } },
  similar: { run: similarCommand, flags: { checkpoint: "path", data: "path", query: "path", k: "number", "cache-mb": "number", ...BACKEND, json: "switch" } },
  bench: { run: benchCommand, flags: { json: "switch", quick: "switch", step: "choice", reps: "number", build: "choice", ...BACKEND } },
};

/** A command line: known flags with values from their pools, now and then an unknown flag, a stray word, a missing value. */
function commandLine(flags: Record<string, Kind>) {
  const names = Object.keys(flags);
  const arg = fc.oneof(
    { weight: 8, arbitrary: fc.tuple(fc.constantFrom(...names), fc.nat(), fc.constantFrom("separate", "inline")).map(([name, i, form]) => {
      const kind = flags[name];
      if (kind === "switch") return [`--${name}`];
      const value = pools[kind][i % pools[kind].length];
      return form === "inline" ? [`--${name}=${value}`] : [`--${name}`, value];
    }) },
    { weight: 1, arbitrary: fc.constantFrom(["--stepz", "3"], ["-x"], ["--"], ["stray"], ["--quiet=1"], ["--help"], ["-h"]) },
  );
  // a flag left without its value, at the end
  return fc.tuple(fc.array(arg, { maxLength: 6 }), fc.option(fc.constantFrom(...names.filter((n) => flags[n] !== "switch")), { freq: 5 }))
    .map(([args, bare]) => [...args.flat(), ...(bare ? [`--${bare}`] : [])]);
}

/** The values each flag of `flags` has in `argv` (both forms). */
function givenValues(argv: string[], flags: Record<string, Kind>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  argv.slice(0, (argv.indexOf("--") + 1 || argv.length + 1) - 1).forEach((a, i) => {
    const m = /^(--[a-z-]+)(?:=(.*))?$/s.exec(a);
    if (!m || !(m[1].slice(2) in flags) || flags[m[1].slice(2)] === "switch") return;
    const value = m[2] ?? (argv[i + 1] !== undefined && !/^--[a-z]/.test(argv[i + 1]) ? argv[i + 1] : undefined);
    if (value !== undefined) out.set(m[1], [...(out.get(m[1]) ?? []), value]);
  });
  return out;
}

let stderr = "";
beforeEach(() => {
  stderr = "";
  vi.spyOn(process.stderr, "write").mockImplementation((text: string | Uint8Array) => ((stderr += text), true));
  vi.spyOn(console, "log").mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

describe("fuzzing the flags of the byol commands", () => {
  it("refuses, before the slow start, what the fuzzing found getting through or garbled", async () => {
    const refused = async (run: (argv: string[]) => Promise<number>, argv: string[], message: string) =>
      expect(run(argv), argv.join(" ")).rejects.toThrow(new UsageError(message));
    await refused(train, ["--final", "x"], "--final must be one of full, knn, monitor, none, got \"x\""); // was checked after training
    await refused(train, ["--eval-every", "-1"], "--eval-every must be an integer ≥ 0, got \"-1\""); // after loading the data
    await refused(train, ["--lr", "-1"], "--lr must be a number ≥ 0, got \"-1\""); // parseArgs: three lines, no value
    await refused(train, ["--seed", "4294967296"], "--seed must be an integer ≥ 0 and ≤ 4294967295, got \"4294967296\""); // the same run as seed 0
    await refused(train, ["--steps", "9007199254740993"], "--steps must be an integer ≥ 1, got \"9007199254740993\"");
    await refused(train, ["--steps", "5", "--steps", "50"], "--steps given twice, \"5\" and \"50\"; give it once"); // the last won
    await refused(train, ["--data", ""], "--data needs a value, got \"\""); // the current folder
    await refused(train, ["--quiet", "5"], "unexpected argument \"5\": --quiet takes no value");
    await refused(train, ["--config", configs[3]], `--config ${configs[3]}: unknown key "stepz"`); // ignored
    await refused(train, ["--config", configs[4]], `--config ${configs[4]}: "quiet" must be true or false, got "false"`); // switched on
    await refused(evalCommand, ["--checkpoint", dir, "--limit", "0"], "--limit must be an integer ≥ 1, got \"0\""); // after the backend and checkpoint
    await refused(benchCommand, ["--threads", "2"], "--threads 2: only with --step"); // ignored: the whole suite ran
    await refused(benchCommand, ["--step", "anchor", "--reps", "0"], "--reps must be an integer ≥ 1, got \"0\""); // after the backend
  });

  it("fuzzes every flag of every command", () => {
    expect(Object.keys(COMMANDS).sort()).toEqual(Object.keys(REGISTRY).sort());
    for (const [name, { flags }] of Object.entries(COMMANDS)) expect(Object.keys(flags).sort(), name).toEqual(Object.keys(REGISTRY[name].flags).sort());
  });

  for (const [name, { run, flags }] of Object.entries(COMMANDS)) {
    it(`byol ${name}: ${CASES} command lines stop with a one-line usage error naming the flag and value, or reach the slow start`, async () => {
      await fc.assert(
        fc.asyncProperty(commandLine(flags), async (argv) => {
          const what = `byol ${name} ${JSON.stringify(argv)}`;
          let error: unknown;
          try {
            await run(argv);
          } catch (e) {
            error = e;
          }
          if (error === undefined) return; // --help
          if (error instanceof Stop) {
            // every flag passed its checks: none holds a value no such flag accepts, none is given twice
            for (const [flag, values] of givenValues(argv, flags)) {
              const kind = flags[flag.slice(2)] as Exclude<Kind, "switch">;
              expect(values.filter((v) => BAD[kind].includes(v)), `${what} reached the slow start`).toEqual([]);
              expect(values.length, `${what} reached the slow start`).toBe(1);
            }
            return;
          }
          expect(error, `${what}: ${(error as Error).stack}`).toBeInstanceOf(UsageError);
          const message = (error as Error).message;
          expect(message, what).not.toContain("\n");
          // it names a flag, or the stray argument
          const named = [...new Set(message.match(/(?<![\w-])--?[a-z][a-z-]*/g) ?? [])];
          expect(named.length > 0 || /^unexpected argument /.test(message), `${what}: ${message}`).toBe(true);
          // a single flag named with a value on the command line: the message shows the value
          const values = givenValues(argv, flags).get(named[0]);
          if (named.length === 1 && values && !/needs a value|is required|^unexpected argument/.test(message)) {
            expect(values.some((v) => message.includes(JSON.stringify(v)) || message.includes(v)), `${what}: ${message}`).toBe(true);
          }
        }),
        { numRuns: CASES, seed: SEED },
      );
    }, 120_000);
  }
});
