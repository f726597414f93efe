// What the page and the training worker say to each other. Every request names a method of
// `TrainerApi` and gets exactly one reply (its value or its error); the worker also sends progress
// events unasked. Plain data only, so it crosses `postMessage` as is.
import type { BackendInfo, BackendName } from "../backend";
import type { RunConfig } from "../train/config";

/** A run configuration as the page gives it: any field of {@link RunConfig}, the rest from `DEFAULT_RUN`. */
export type RunConfigInput = Partial<Omit<RunConfig, "encoder" | "augment">> & {
  encoder?: Partial<RunConfig["encoder"]>;
  augment?: Partial<RunConfig["augment"]>;
};

/** How the worker starts tfjs. */
export interface InitOptions {
  backend: BackendName;
  /** Where tfjs-backend-wasm's `.wasm` files are served (its `setWasmPaths`), e.g. `"/wasm/"`. */
  wasmPaths?: string;
  /** wasm: let tfjs-wasm use threads (default: when the page is cross-origin isolated, which they need). */
  threads?: boolean;
}

/** What the worker runs on, once its backend is up. */
export interface ReadyInfo {
  backend: BackendInfo;
  crossOriginIsolated: boolean;
  /** WebGL only: the GPU renders to float16 textures only (losses near 0 lose precision). */
  float16Only: boolean | null;
  /** Plain-language caveats, e.g. why wasm runs on one thread. */
  notes: string[];
}

/** uint8 images, NHWC, `images.length = n × height × width × channels`. */
export interface ImagesInput {
  images: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** kNN accuracy while training: `queries` vote against the first `bankSize` training images. */
export interface KnnRequest {
  /** Evaluate every this many steps (and before the first step and after the last). */
  every: number;
  queries: ImagesInput & { labels: Uint8Array };
  /** Training images in the bank (default all); they need `labels`. */
  bankSize?: number;
}

/**
 * A run: `config` starts a fresh one; `resume: true` continues the worker's current run (after
 * {@link TrainerApi.load} or a stop) with its own configuration. `images` are transferred to the
 * worker (the page's buffer is detached); a resumed run may omit them to reuse the last ones.
 */
export interface StartOptions extends Partial<ImagesInput> {
  config?: RunConfigInput;
  resume?: boolean;
  /** One label per training image (only kNN reads them). */
  labels?: Uint8Array;
  knn?: KnnRequest;
  /** End the run after this step (default `config.totalSteps`); the schedules still span totalSteps. */
  untilStep?: number;
}

/** One training step, or one kNN evaluation. */
export type Progress =
  | { kind: "step"; step: number; totalSteps: number; loss: number; zStd: number; milliseconds: number; imagesPerSecond: number; numTensors: number }
  | { kind: "knn"; step: number; accuracy: number };

/** How a run ended. */
export interface RunResult {
  step: number;
  totalSteps: number;
  stopped: boolean;
}

/** Representations of images and their 3-D PCA. */
export interface EmbedResult {
  n: number;
  /** Size of one representation. */
  dims: number;
  /** `[n, dims]`, row-major. */
  representation: Float32Array;
  /** `[n, 3]`, the representations on their top three principal components. */
  projection: Float32Array;
  explainedVarianceRatio: number[];
}

/** The worker's methods; each request is one call. */
export interface TrainerApi {
  init(options: InitOptions): Promise<ReadyInfo>;
  start(options: StartOptions): Promise<RunResult>;
  /** Resolves once the step under way has finished and no other begins. */
  pause(): Promise<{ step: number }>;
  resume(): { step: number };
  /** Resolves once the run has ended (after the step under way). */
  stop(): Promise<{ step: number }>;
  embed(input: ImagesInput): Promise<EmbedResult>;
  /** The run as a checkpoint: the safetensors bytes `byol train` writes. */
  save(): Promise<Uint8Array>;
  load(bytes: Uint8Array): Promise<{ step: number; config: RunConfig }>;
}

export type Method = keyof TrainerApi;

/** page → worker */
export interface Call<M extends Method = Method> {
  id: number;
  method: M;
  arg: Parameters<TrainerApi[M]>[0];
}

/** worker → page */
export type Message =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; message: string } }
  | { progress: Progress };
