// An app that loads a model byol-ts saved (its layers include byol-ts' TorchBatchNorm) with plain
// tf.loadLayersModel, importing byol-ts only for its layer classes: the bundler must keep their
// registration although the app uses no byol-ts export.
import { loadLayersModel, tensor4d } from "@tensorflow/tfjs";
import "byol-ts";

async function main() {
  const model = await loadLayersModel(new URL("model/model.json", location.href).href);
  const input = await (await fetch(new URL("model/input.json", location.href))).json();
  const output = model.predict(tensor4d(input.values, input.shape));
  return { layers: model.layers.map((l) => l.getClassName()), output: Array.from(await output.data()) };
}

main().then((result) => (window.result = result), (e) => (window.result = { error: String(e?.stack ?? e) }));
