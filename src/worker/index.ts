// byol-ts/worker: BYOL training in a Web Worker (or a Node worker thread), driven from the page.
export { createWorkerTrainer, WorkerTrainer } from "./client";
export type { NodeWorker, WorkerTrainerOptions } from "./client";
export { serveTrainer } from "./host";
export type { Endpoint } from "./host";
export { loadCheckpointFromIndexedDB, saveCheckpointToIndexedDB } from "./idb";
export type { EmbedResult, ImagesInput, InitOptions, KnnRequest, Progress, ReadyInfo, RunConfigInput, RunResult, StartOptions } from "./protocol";
