// `byol train --init-from FILE`: the online encoder starts from a PyTorch state dict with
// torchvision's names (`byol export --format torchvision`, torchvision's ResNets, byol-pytorch's
// `online_encoder.net`), and the target from a copy of it, as BYOL starts its target.
import { statSync } from "node:fs";
import type { Learner } from "../learner";
import { parseSafetensorsFile } from "../io/files";
import type { SafetensorsFile } from "../io/safetensors";
import { loadTorchvisionWeights } from "../io/torchvision";
import { CHECKPOINT_FORMAT } from "../train/checkpoint";
import type { RunConfig } from "../train/config";
import { UsageError } from "./args";
import { encoderText } from "./common";

/** A state dict read for --init-from. */
export interface InitWeights {
  path: string;
  file: SafetensorsFile;
}

/** A torchvision classifier's head: byol-ts' encoders end at the global pool, as BYOL uses them. */
const isClassifier = (name: string) => name.startsWith("fc.");

/** Reads `path` as a state dict; a missing file, a folder, non-safetensors bytes or a training checkpoint are usage errors. */
export function readInitWeights(path: string): InitWeights {
  const kind = statSync(path, { throwIfNoEntry: false });
  if (!kind?.isFile()) throw new UsageError(`--init-from ${path}: ${kind ? "not a file" : "no such file"}`);
  let file: SafetensorsFile;
  try {
    file = parseSafetensorsFile(path);
  } catch (e) {
    throw new UsageError(`--init-from ${(e as Error).message}`);
  }
  if (file.metadata.format === CHECKPOINT_FORMAT) {
    throw new UsageError(`--init-from ${path}: a byol-ts training checkpoint, not a state dict; continue it with --resume, or write its encoder with byol export --format torchvision`);
  }
  return { path, file };
}

/** What the file says it was exported from (`byol export` records it), to explain a mismatch. */
function exportedFrom(metadata: Record<string, string>): string {
  try {
    return `; it was exported from a ${encoderText(JSON.parse(metadata.encoder))}, ${metadata.channels} channel(s)`;
  } catch {
    return "";
  }
}

/**
 * Loads the weights into the learner's online encoder — every weight, by name, shapes checked, before
 * anything is written — and copies them into the target encoder. Returns a line saying what it did.
 */
export function initEncoder(learner: Learner, { path, file }: InitWeights, config: RunConfig): string {
  const online = learner.onlineEncoder!; // buildLearner always gives a LayersModel encoder
  // a method with a moving-average target starts it as a copy (BYOL); others have none
  const target = learner.models.find(([name]) => name === "target.encoder")?.[1];
  const classifier = Object.keys(file.tensors).filter(isClassifier);
  const tensors = Object.fromEntries(Object.entries(file.tensors).filter(([name]) => !isClassifier(name)));
  try {
    loadTorchvisionWeights(online, tensors);
  } catch (e) {
    throw new Error(`--init-from ${path} does not fit the run's encoder (${encoderText(config.encoder)}, ${config.channels} channel(s))${exportedFrom(file.metadata)}: ${(e as Error).message}`);
  }
  target?.setWeights(online.getWeights());
  const ignored = classifier.length ? `; ignored the classifier ${classifier.join(", ")}` : "";
  return `encoder: initialized from ${path} (${Object.keys(tensors).length} tensors${target ? ", the target a copy" : ""}${ignored})`;
}
