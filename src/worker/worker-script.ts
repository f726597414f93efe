// The default worker script (`createWorkerTrainer` without `worker`): serves the trainer API. An app
// that wants WebGPU writes its own two lines: import "@tensorflow/tfjs-backend-webgpu", then this.
import { serveTrainer } from "./host";

serveTrainer();
