// A small web app against the packed package (test/pack.ts): byol-ts unpacked into its node_modules
// with @tensorflow/tfjs and @tensorflow/tfjs-backend-wasm beside it, linked from this repository's
// node_modules as an offline install would place them, and no @tensorflow/tfjs-backend-webgpu (an
// optional peer). The pages and scripts are test/bundle-app/; public/ holds what a site serves
// beside them: tfjs-backend-wasm's .wasm files and a model byol-ts saved.
import { cpSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { smallCnn } from "../src/nets";
import { repoRoot } from "./helpers";
import { run } from "./pack";

const MODULES = join(repoRoot, "node_modules");

/** What an app installing byol-ts and tfjs (wasm included) gets besides byol-ts: all but webgpu. */
const tfjsPackages = () => readdirSync(join(MODULES, "@tensorflow")).filter((p) => p !== "tfjs-backend-webgpu");

/** Unpacks `tarball` into `app`/node_modules/byol-ts and links its peers and dependencies. */
export function installApp(app: string, tarball: string): void {
  const modules = join(app, "node_modules");
  mkdirSync(join(modules, "@tensorflow"), { recursive: true });
  run("tar", ["-xzf", tarball, "-C", modules], app);
  renameSync(join(modules, "package"), join(modules, "byol-ts"));
  for (const p of tfjsPackages()) symlinkSync(join(MODULES, "@tensorflow", p), join(modules, "@tensorflow", p), "dir");
  const { dependencies = {} } = JSON.parse(readFileSync(join(modules, "byol-ts", "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  for (const dep of Object.keys(dependencies)) symlinkSync(join(MODULES, dep), join(modules, dep), "dir");
  cpSync(join(repoRoot, "test", "bundle-app"), app, { recursive: true });
  const wasm = join(modules, "@tensorflow", "tfjs-backend-wasm", "dist");
  mkdirSync(join(app, "public", "wasm"), { recursive: true });
  for (const f of readdirSync(wasm).filter((f) => f.endsWith(".wasm"))) cpSync(join(wasm, f), join(app, "public", "wasm", f));
}

/**
 * Saves a small CNN (its BatchNorm layers are byol-ts' TorchBatchNorm) into `dir` as model.json and
 * weights.bin, with an input; resolves to the model's output for that input (cpu).
 */
export async function saveModel(dir: string): Promise<number[]> {
  await tf.setBackend("cpu");
  const model = smallCnn({ inputSize: 8, channels: 1, width: 2, seed: 3 });
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
  const { modelTopology, weightSpecs, weightData } = artifacts!;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "model.json"), JSON.stringify({ modelTopology, format: "layers-model", weightsManifest: [{ paths: ["weights.bin"], weights: weightSpecs }] }));
  writeFileSync(join(dir, "weights.bin"), new Uint8Array(tf.io.CompositeArrayBuffer.join(weightData!)));
  const input = { shape: [2, 8, 8, 1], values: Array.from({ length: 128 }, (_, i) => Math.sin(i)) };
  writeFileSync(join(dir, "input.json"), JSON.stringify(input));
  return Array.from(await (model.predict(tf.tensor4d(input.values, input.shape as [number, number, number, number])) as tf.Tensor).data());
}
