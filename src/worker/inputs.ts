// Checks what the page sends before the worker touches its run: every error names the field and
// the value it had, so a rejected promise on the page says what to fix.
import type { ImageSet, LabelledImageSet } from "../data/types";
import { DEFAULT_RUN, methodOf, type RunConfig } from "../train/config";
import { representationFits } from "../train/setup";
import type { ImagesInput, RunConfigInput } from "./protocol";

const show = (v: unknown): string => (typeof v === "number" || v === undefined ? String(v) : JSON.stringify(v) ?? String(v));

function positiveInteger(where: string, field: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1) throw new Error(`${where}: ${field} is ${show(v)}, expected a positive integer`);
  return v as number;
}

/** The image set `input` describes, checked: sizes, channels (`expectChannels` when given) and length. */
export function imageSet(where: string, prefix: string, input: Partial<ImagesInput>, expectChannels?: number): ImageSet {
  if (!(input.images instanceof Uint8Array)) throw new Error(`${where}: ${prefix}images is ${input.images === undefined ? "missing" : Object.prototype.toString.call(input.images)}, expected a Uint8Array`);
  const width = positiveInteger(where, `${prefix}width`, input.width);
  const height = positiveInteger(where, `${prefix}height`, input.height);
  const channels = input.channels;
  if (channels !== 1 && channels !== 3) throw new Error(`${where}: ${prefix}channels is ${show(channels)}, expected 1 or 3`);
  if (expectChannels !== undefined && channels !== expectChannels) throw new Error(`${where}: ${prefix}channels is ${channels}, but the run's config.channels is ${expectChannels}`);
  const per = width * height * channels;
  const length = input.images.length;
  if (length === 0 || length % per !== 0) {
    throw new Error(`${where}: ${prefix}images.length is ${length}, not a positive multiple of height × width × channels = ${height} × ${width} × ${channels} = ${per}`);
  }
  return { images: input.images, n: length / per, width, height, channels, classes: [] };
}

/** `set` with its labels, checked: one integer label per image. */
export function withLabels(where: string, field: string, set: ImageSet, labels: unknown): LabelledImageSet {
  if (!(labels instanceof Uint8Array)) throw new Error(`${where}: ${field} is ${labels === undefined ? "missing" : Object.prototype.toString.call(labels)}, expected a Uint8Array (one label per image)`);
  if (labels.length !== set.n) throw new Error(`${where}: ${field}.length is ${labels.length}, expected one label per image (${set.n})`);
  return { ...set, labels };
}

/** A full run configuration: `input` over `DEFAULT_RUN` (nested `encoder` and `augment` merged too). */
export function runConfig(input: RunConfigInput): RunConfig {
  if (input === null || typeof input !== "object" || Array.isArray(input)) throw new Error(`start: config is ${show(input)}, expected an object`);
  const config: RunConfig = {
    ...DEFAULT_RUN,
    ...input,
    encoder: { ...DEFAULT_RUN.encoder, ...input.encoder },
    augment: { ...DEFAULT_RUN.augment, ...input.augment },
  } as RunConfig;
  positiveInteger("start", "config.imageSize", config.imageSize);
  // the default grid representation needs a last feature map at least its size; small images keep the tap
  if (!("representation" in input) && !representationFits(config)) config.representation = undefined;
  positiveInteger("start", "config.totalSteps", config.totalSteps);
  positiveInteger("start", "config.encoder.width", config.encoder.width);
  if (!Number.isInteger(config.batchSize) || config.batchSize < 2) throw new Error(`start: config.batchSize is ${show(config.batchSize)}, expected an integer ≥ 2 (BatchNorm in training mode needs 2)`);
  return config;
}

/** Fields that fix the shapes of a run's networks: a checkpoint must match them to load into it. */
const ARCHITECTURE: Array<[string, (c: RunConfig) => unknown]> = [
  ["encoder.arch", (c) => c.encoder.arch],
  ["encoder.width", (c) => c.encoder.width],
  ["encoder.stem", (c) => c.encoder.stem],
  ["encoder.depth", (c) => c.encoder.depth ?? 1],
  ["tap", (c) => c.tap ?? "avgpool"],
  ["imageSize", (c) => c.imageSize],
  ["channels", (c) => c.channels],
  ["projectionSize", (c) => c.projectionSize],
  ["projectionHiddenSize", (c) => c.projectionHiddenSize],
  ["method", methodOf],
  ["optimizer.name", (c) => c.optimizer.name],
];

/** Throws, naming the first field that differs, unless `found` builds the same networks as `expected`. */
export function sameArchitecture(where: string, found: RunConfig, expected: RunConfig): void {
  for (const [field, of] of ARCHITECTURE) {
    if (of(found) !== of(expected)) {
      throw new Error(`${where}: the checkpoint's config.${field} is ${show(of(found))}, this worker's run has ${show(of(expected))} (a new worker loads a checkpoint of any architecture)`);
    }
  }
}
