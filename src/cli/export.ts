// `byol export`: a checkpoint's online encoder in a format other programs load without byol-ts —
// a tfjs LayersModel folder whose output is the run's representation, or a PyTorch state dict with
// torchvision's names.
import { existsSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { layersModelLoader, layersModelSaver } from "../io/layers-model-files";
import { writeSafetensors } from "../io/safetensors";
import { exportTorchvisionWeights } from "../io/torchvision";
import { writeAtomic } from "../data/write-atomic";
import { withStandardLayers } from "../nets/standard-layers";
import { representationOf, type RunConfig } from "../train/config";
import { normalizationOf } from "../train/setup";
import { choice, parse, UsageError } from "./args";
import { BACKEND_FLAGS, backendFlags, say, startBackend } from "./common";
import { learnerFromCheckpoint } from "../train/checkpoint-file";
import { helpText, type FlagTable } from "./flags";

/** `byol export`'s flags. */
export const EXPORT_FLAGS = {
  checkpoint: { type: "string", value: "DIR", help: "run directory (or its checkpoint.safetensors)" },
  format: { type: "string", choices: ["tfjs", "torchvision"], help: "tfjs: a folder (model.json + weights) for tf.loadLayersModel whose output is the run's representation, for NHWC images normalized as in training; torchvision: a .safetensors state dict with torchvision's names (docs/export.md shows how PyTorch loads it); the tfjs export runs its model once, as a check" },
  out: { type: "string", value: "PATH", help: "the folder (tfjs) or .safetensors file (torchvision) to write" },
  overwrite: { type: "boolean", help: "replace --out if it exists" },
  ...BACKEND_FLAGS,
} as const satisfies FlagTable;

export const EXPORT_HELP = helpText("byol export — write a checkpoint's online encoder for programs without byol-ts", EXPORT_FLAGS);

/** The exported model may differ from byol-ts' representation by float rounding only. */
const TOLERANCE = 1e-5;

/** ‖a − b‖ / ‖b‖ of two tensors of one shape. */
function relativeL2(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.div(tf.norm(tf.sub(a, b)), tf.maximum(tf.norm(b), 1e-30)).dataSync()[0]);
}

/** Writes the tfjs folder, then loads it back as plain tfjs and checks it against `encoder` on random images. */
async function exportTfjs(encoder: tf.LayersModel, config: RunConfig, step: number, out: string, source: string): Promise<string> {
  const plain = await withStandardLayers(encoder);
  plain.setUserDefinedMetadata({
    byol: { checkpoint: source, step, encoder: config.encoder, tap: representationOf(config), imageSize: config.imageSize, channels: config.channels, normalization: normalizationOf(config) },
  });
  await plain.save(layersModelSaver(out));
  plain.dispose();
  const loaded = await tf.loadLayersModel(layersModelLoader(out));
  const x = tf.randomNormal([2, config.imageSize, config.imageSize, config.channels], 0, 1, "float32", config.seed);
  const [want, got] = [encoder.apply(x, { training: false }) as tf.Tensor, loaded.predict(x) as tf.Tensor];
  const error = relativeL2(got, want);
  const size = want.shape[1];
  tf.dispose([x, want, got]);
  loaded.dispose();
  if (!(error <= TOLERANCE)) throw new Error(`${out}: the exported model differs from ${source}'s representation by ${error.toExponential(2)} (relative L2; the limit is ${TOLERANCE})`);
  return `${size}-d ${representationOf(config)} representation, relative L2 ${error.toExponential(1)} from byol-ts' on random images`;
}

/** What loads a torchvision export: torchvision's own ResNet when the encoder is one, else the module in docs/export.md. */
function torchModule(config: RunConfig): string {
  const { arch, width, stem, depth, stages } = config.encoder;
  if (arch === "small-cnn") return `SmallCnn(width=${width}, channels=${config.channels}, depth=${depth ?? 1}, stages=${stages ?? 2}) of docs/export.md`;
  if (stem === "imagenet" && width === 64 && config.channels === 3) return `torchvision.models.${arch}() with fc = nn.Identity()`;
  return `ByolResNet(depth=${arch.slice("resnet".length)}, width=${width}, channels=${config.channels}, stem="${stem}") of docs/export.md`;
}

/** Writes the encoder's weights as a torchvision state dict. */
function exportTorchvision(encoder: tf.LayersModel, config: RunConfig, step: number, out: string, source: string): string {
  let tensors;
  try {
    tensors = exportTorchvisionWeights(encoder);
  } catch (e) {
    throw new Error(`${source}: the ${config.encoder.arch} encoder cannot be written as a torchvision state dict: ${(e as Error).message}`);
  }
  const metadata = {
    format: "byol-ts/torchvision@1", source, step: String(step), encoder: JSON.stringify(config.encoder), channels: String(config.channels),
    imageSize: String(config.imageSize), tap: representationOf(config), normalization: JSON.stringify(normalizationOf(config)),
  };
  writeAtomic(out, writeSafetensors(tensors, metadata), "torchvision weights");
  return `${Object.keys(tensors).length} tensors; load with ${torchModule(config)}, strict=True`;
}

/** Runs `byol export`; returns the exit code. */
export async function exportCommand(argv: string[]): Promise<number> {
  const v = parse(argv, EXPORT_FLAGS);
  if (v.help) {
    console.log(EXPORT_HELP);
    return 0;
  }
  if (!v.checkpoint) throw new UsageError("--checkpoint DIR is required");
  const format = choice(v, "format", EXPORT_FLAGS.format.choices);
  if (!format) throw new UsageError("--format is required: tfjs or torchvision");
  const out = v.out as string | undefined;
  if (!out) throw new UsageError(`--out is required: the ${format === "tfjs" ? "folder" : ".safetensors file"} to write`);
  if (format === "torchvision" && !out.endsWith(".safetensors")) throw new UsageError(`--out must name a .safetensors file for --format torchvision, got ${JSON.stringify(out)}`);
  if (existsSync(out) && !v.overwrite) throw new UsageError(`${out} exists: pass --overwrite to replace it, or another --out`);
  await startBackend(backendFlags(v));
  const { learner, config, path, state } = await learnerFromCheckpoint(v.checkpoint as string);
  // buildLearner always gives a LayersModel encoder
  const encoder = learner.onlineEncoderAt() as tf.LayersModel;
  const what = format === "tfjs" ? await exportTfjs(encoder, config, state.step, out, path) : exportTorchvision(encoder, config, state.step, out, path);
  say(`wrote ${out}: ${what}`);
  return 0;
}
