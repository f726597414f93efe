// An app using the installed byol-ts: one BYOL step on wasm with random 16×16 images. The same file
// is bundled by esbuild and by Vite and loaded unbundled through an import map (importmap.html).
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { BYOL, setBackend, smallCnn, Trainer } from "byol-ts";

// tfjs-backend-wasm's .wasm files are served from wasm/ beside the page (byol-ts' kernels are inside its JS)
setWasmPaths(new URL("wasm/", location.href).href);

async function main() {
  const backend = await setBackend("wasm");
  const size = 16;
  const n = 8;
  const learner = await BYOL.create({ encoder: smallCnn({ inputSize: size, channels: 1, width: 4 }), imageSize: size, channels: 1 });
  const images = crypto.getRandomValues(new Uint8Array(n * size * size));
  const trainer = await Trainer.create({ learner, data: { images, n, height: size, width: size, channels: 1, classes: [] }, batchSize: n, totalSteps: 1 });
  const { loss } = await trainer.step();
  return { backend, loss };
}

main().then((result) => (window.result = result), (e) => (window.result = { error: String(e?.stack ?? e) }));
