// Loads `byol export --format tfjs` folders as a program without byol-ts would: plain
// @tensorflow/tfjs, the files read from disk, nothing else imported. Arguments: pairs of a model
// folder and a file of float32 inputs (NHWC, the model's image shape); prints one JSON line per
// model: {"shape": [...], "data": [...]}.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";

await tf.setBackend("cpu");
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i += 2) {
  const [dir, inputs] = [args[i], args[i + 1]];
  const json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
  const weightSpecs = json.weightsManifest.flatMap((group) => group.weights);
  const weightData = Buffer.concat(json.weightsManifest.flatMap((group) => group.paths.map((p) => readFileSync(join(dir, p)))));
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData: new Uint8Array(weightData).buffer }));
  const image = model.inputs[0].shape.slice(1);
  const raw = readFileSync(inputs);
  const values = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const y = model.predict(tf.tensor(values, [values.length / image.reduce((a, b) => a * b, 1), ...image]));
  console.log(JSON.stringify({ shape: y.shape, data: Array.from(y.dataSync()) }));
}
