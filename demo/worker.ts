// The demo's training worker: the byol-ts trainer API, with WebGPU available (byol-ts does not
// bundle that optional backend: an app that offers it imports it where tfjs runs, here).
import "@tensorflow/tfjs-backend-webgpu";
import { serveTrainer } from "../src/worker";

serveTrainer();
