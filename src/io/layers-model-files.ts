// Node: tfjs LayersModels as files — `model.json` plus one weights file — without tfjs-node, whose
// `file://` handler pure @tensorflow/tfjs lacks. The layout is tfjs' own (what
// `tf.loadLayersModel` reads over http, or from memory).
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as tf from "../tf";
import { writeAtomic } from "../data/write-atomic";

/** The model file inside the folder. */
export const MODEL_JSON = "model.json";

/** Weights files this handler writes: named by a hash of their content (see {@link layersModelSaver}). */
const WEIGHTS_FILE = /^weights\.[0-9a-f]{16}\.bin$/;

/**
 * A save handler writing `model.json` and `weights.<hash>.bin` into `dir` (created if needed).
 * Each file is replaced atomically, the weights first: a reader sees the old model.json with its
 * own weights or the new one with its, never a mix — the content-named weights file never
 * overwrites the one an old model.json names. Weights files of earlier saves are removed after.
 */
export function layersModelSaver(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const data = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0)));
      const weightsFile = `weights.${createHash("sha256").update(data).digest("hex").slice(0, 16)}.bin`;
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      writeAtomic(join(dir, weightsFile), data, "model weights");
      writeAtomic(join(dir, MODEL_JSON), JSON.stringify(json), "model file");
      for (const f of readdirSync(dir)) if (WEIGHTS_FILE.test(f) && f !== weightsFile) rmSync(join(dir, f), { force: true });
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}

/** A load handler reading a folder in tfjs' layout (`model.json` and the weights files it names). */
export function layersModelLoader(dir: string): tf.io.IOHandler {
  const read = (file: string): Buffer => {
    try {
      return readFileSync(join(dir, file));
    } catch (e) {
      throw new Error(`${join(dir, file)}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const text = read(MODEL_JSON).toString("utf8");
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(text);
      } catch (e) {
        throw new Error(`${join(dir, MODEL_JSON)}: not a tfjs model file (${(e as Error).message})`);
      }
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const buffers = manifest.flatMap((group) => group.paths.map((p) => new Uint8Array(read(p)).buffer));
        return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
      });
    },
  };
}
