// The published package works on its own: build and npm pack it (test/pack.ts), install the
// tarball into a clean project (no dev dependencies; the tfjs peers come from the registry or npm's
// cache), then import it from ESM and from CommonJS and run kernels. The wasm is embedded in the
// bundle, so nothing is served or read from disk at run time. Every entry of the API's tiers resolves
// from both, and the core stays small.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packPackage, run } from "./pack";

const work = mkdtempSync(join(tmpdir(), "byol-ts-package-"));
const project = join(work, "project");

/** A consumer script: the build in use, EMA of [1..5] towards 0 at tau 0.5, loss of orthogonal rows. */
const consumer = (imports: string, body: (code: string) => string) =>
  `${imports}\n${body(`
  const build = await initKernels();
  const t = new Float32Array([1, 2, 3, 4, 5]);
  emaBlend(t, new Float32Array(5), 0.5);
  const loss = cosineLoss(new Float32Array([3, 0]), new Float32Array([0, 2]), 1, 2);
  console.log(JSON.stringify({ build, ema: Array.from(t), mean: loss.mean, grad: Array.from(loss.grad) }));`)}\n`;

// cos = 0 → loss 2; ∂/∂p = −2/‖p‖·ẑ = [0, −2/3]; relaxed SIMD: Node 20 after byol-ts sets its V8 flag
const EXPECTED = { build: "relaxed-simd", ema: [0.5, 1, 1.5, 2, 2.5], mean: 2, grad: [0, Math.fround(-2 / 3)] };

/** The entries with ESM and CommonJS builds (byol-ts/worker is ESM only). */
const ENTRIES = ["byol-ts", "byol-ts/eval", "byol-ts/io", "byol-ts/kernels", "byol-ts/node"];
/** What each entry must export (a few names each), so an entry resolving to the wrong file fails. */
const SAMPLE: Record<string, string[]> = {
  "byol-ts": ["BYOL", "Trainer", "setBackend"],
  "byol-ts/eval": ["knnAccuracy", "pca"],
  "byol-ts/io": ["readSafetensors", "parseIdx"],
  "byol-ts/kernels": ["initKernels", "emaBlend"],
  "byol-ts/node": ["BYOL", "loadImageFolder"],
};

/** Each entry's runtime export names, as a consumer's script loads them. */
function exportedNames(file: string, source: string): Record<string, string[]> {
  writeFileSync(join(project, file), source);
  return JSON.parse(run(process.execPath, [file], project)) as Record<string, string[]>;
}

let packedFiles: string[] = [];

beforeAll(() => {
  const { tarball, files } = packPackage(work);
  packedFiles = files;
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball], project);
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("npm package", () => {
  it("ships only the bundle (wasm embedded), the README and package.json", () => {
    expect(packedFiles).toEqual(expect.arrayContaining(["index", "eval", "io", "kernels", "node"].flatMap((e) => [`dist/${e}.js`, `dist/${e}.cjs`, `dist/${e}.d.ts`, `dist/${e}.d.cts`])));
    expect(packedFiles.filter((f) => !(f.startsWith("dist/") || f === "package.json" || f === "README.md"))).toEqual([]);
    expect(packedFiles.some((f) => f.endsWith(".wasm"))).toBe(false);
  });

  it("installs without dev dependencies", () => {
    expect(existsSync(join(project, "node_modules", "byol-ts", "dist", "index.js"))).toBe(true);
    for (const dev of ["assemblyscript", "vitest", "tsup"]) expect(existsSync(join(project, "node_modules", dev))).toBe(false);
  });

  it("imports from ESM and runs the kernels", () => {
    writeFileSync(join(project, "use.mjs"), consumer(`import { initKernels, emaBlend, cosineLoss } from "byol-ts/kernels";`, (code) => code));
    expect(JSON.parse(run(process.execPath, ["use.mjs"], project))).toEqual(EXPECTED);
  });

  it("requires from CommonJS and runs the kernels", () => {
    writeFileSync(join(project, "use.cjs"), consumer(`const { initKernels, emaBlend, cosineLoss } = require("byol-ts/kernels");`, (code) => `(async () => {${code}\n})();`));
    expect(JSON.parse(run(process.execPath, ["use.cjs"], project))).toEqual(EXPECTED);
  });

  it("resolves every entry from ESM and CommonJS, the same names from both; the core exports at most 25 values", () => {
    const list = JSON.stringify(ENTRIES);
    const esm = exportedNames("names.mjs", `const out = {};\nfor (const e of ${list}) out[e] = Object.keys(await import(e)).sort();\nconsole.log(JSON.stringify(out));\n`);
    const cjs = exportedNames("names.cjs", `const out = {};\nfor (const e of ${list}) out[e] = Object.keys(require(e)).filter((k) => k !== "__esModule").sort();\nconsole.log(JSON.stringify(out));\n`);
    expect(cjs).toEqual(esm);
    for (const entry of ENTRIES) expect(esm[entry]).toEqual(expect.arrayContaining(SAMPLE[entry]));
    expect(esm["byol-ts"].length).toBeLessThanOrEqual(25);
  });

  it("trains a step on cpu from ESM and from CommonJS on tfjs-core and -layers, never loading the @tensorflow/tfjs umbrella (installed as a peer)", () => {
    // chained tensor ops (x.mul(y)) exist only if the umbrella registered them
    const script = (load: string) => `${load}
  await setBackend("cpu");
  const size = 16, n = 4;
  const learner = await BYOL.create({ encoder: smallCnn({ inputSize: size, channels: 1, width: 4, seed: 1 }), imageSize: size, channels: 1, projectionSize: 8, projectionHiddenSize: 16, seed: 1 });
  const images = Uint8Array.from({ length: n * size * size }, (_, i) => (i * 37) % 256);
  const trainer = await Trainer.create({ learner, data: { images, n, height: size, width: size, channels: 1, classes: [] }, batchSize: n, totalSteps: 1 });
  const { loss } = await trainer.step();
  const loaded = Object.keys(cache).filter((f) => f.includes("@tensorflow")).map((f) => f.slice(f.lastIndexOf("@tensorflow")).split("/").slice(0, 2).join("/"));
  console.log(JSON.stringify({ loss: Number.isFinite(loss), loaded: [...new Set(loaded)].sort() }));`;
    writeFileSync(join(project, "train.mjs"), script(`import { createRequire } from "node:module";\nimport { BYOL, setBackend, smallCnn, Trainer } from "byol-ts";\nconst { cache } = createRequire(import.meta.url);`));
    writeFileSync(join(project, "train.cjs"), `(async () => {${script(`const { BYOL, setBackend, smallCnn, Trainer } = require("byol-ts");\nconst { cache } = require;`)}\n})();`);
    const expected = { loss: true, loaded: ["@tensorflow/tfjs-backend-cpu", "@tensorflow/tfjs-core", "@tensorflow/tfjs-layers"] };
    for (const file of ["train.mjs", "train.cjs"]) expect(JSON.parse(run(process.execPath, [file], project).trim().split("\n").at(-1)!), file).toEqual(expected);
  }, 60_000);
});
