// Learner checkpoints as one safetensors file: every weight of the learner's networks (BYOL: online,
// target and predictor; BN statistics included), the optimizer slots, and JSON metadata (step,
// configuration, data position) — everything needed to resume exactly. One file, so it can be
// replaced atomically.
import * as tf from "@tensorflow/tfjs";
import type { Learner } from "../learner";
import { parseSafetensors, writeSafetensors, type SafeTensorInput } from "../io/safetensors";

/** Identifies our checkpoints inside the safetensors metadata. */
export const CHECKPOINT_FORMAT = "byol-ts/checkpoint@1";

/** What a checkpoint carries besides tensors (free-form JSON the trainer fills). */
export interface CheckpointInfo {
  step: number;
  [key: string]: unknown;
}

/** Every variable of the learner under its checkpoint name. */
function learnerVariables(learner: Learner): Map<string, tf.Variable> {
  const vars = new Map<string, tf.Variable>();
  for (const [prefix, model] of learner.models) {
    for (const w of model.weights) vars.set(`${prefix}/${w.originalName}`, w.read() as tf.Variable);
  }
  return vars;
}

/** Serializes the learner's full state and `info` to safetensors bytes. */
export async function serializeCheckpoint(learner: Learner, info: CheckpointInfo): Promise<Uint8Array> {
  const tensors: Record<string, SafeTensorInput> = {};
  for (const [name, v] of learnerVariables(learner)) tensors[name] = { shape: v.shape, data: (await v.data()) as Float32Array };
  const opt = learner.getOptimizerState();
  try {
    for (const [name, t] of Object.entries(opt.slots)) tensors[`optimizer/${name}`] = { shape: t.shape, data: (await t.data()) as Float32Array };
  } finally {
    tf.dispose(Object.values(opt.slots));
  }
  const meta = { format: CHECKPOINT_FORMAT, info: JSON.stringify({ ...info, step: learner.steps, optimizerStep: opt.step }) };
  return writeSafetensors(tensors, meta);
}

/** Reads the metadata of a checkpoint without touching any learner. `source` names the file. */
export function readCheckpointInfo(bytes: Uint8Array, source: string): CheckpointInfo & { optimizerStep: number } {
  const { metadata } = parseSafetensors(bytes, source);
  if (typeof metadata !== "object" || metadata === null || metadata.format !== CHECKPOINT_FORMAT) throw new Error(`${source}: not a byol-ts checkpoint (format ${JSON.stringify(metadata.format ?? null)}, expected ${CHECKPOINT_FORMAT})`);
  let info: unknown;
  try {
    info = JSON.parse(metadata.info);
  } catch {
    throw new Error(`${source}: checkpoint metadata is corrupted (info is not JSON)`);
  }
  const bad = (field: string, value: unknown): never => {
    throw new Error(`${source}: checkpoint metadata is corrupted (info.${field} is ${JSON.stringify(value) ?? String(value)})`);
  };
  if (info === null || typeof info !== "object" || Array.isArray(info)) return bad("", info);
  const i = info as Record<string, unknown>;
  for (const field of ["step", "optimizerStep"]) {
    if (!Number.isSafeInteger(i[field]) || (i[field] as number) < 0) bad(field, i[field]);
  }
  return i as CheckpointInfo & { optimizerStep: number };
}

/**
 * Restores a learner from checkpoint bytes. All tensors are checked (missing, unexpected,
 * mis-shaped: listed together, naming the file) before any variable changes.
 */
export function restoreCheckpoint(learner: Learner, bytes: Uint8Array, source: string): CheckpointInfo {
  const info = readCheckpointInfo(bytes, source);
  const { tensors } = parseSafetensors(bytes, source);
  const vars = learnerVariables(learner);
  const problems: string[] = [];
  for (const [name, v] of vars) {
    const t = tensors[name];
    if (!t) problems.push(`missing '${name}'`);
    else if (!tf.util.arraysEqual(t.shape, v.shape)) problems.push(`'${name}' is [${t.shape}], the learner has [${v.shape}]`);
    else if (t.dtype !== "F32") problems.push(`'${name}' is ${t.dtype}, expected F32`);
  }
  const slotNames = Object.keys(tensors).filter((k) => k.startsWith("optimizer/"));
  for (const k of Object.keys(tensors)) if (!vars.has(k) && !k.startsWith("optimizer/")) problems.push(`unexpected '${k}'`);
  if (problems.length) throw new Error(`${source}: checkpoint does not fit this learner: ${problems.join("; ")}`);
  const slots: Record<string, tf.Tensor> = {};
  for (const k of slotNames) slots[k.slice("optimizer/".length)] = tf.tensor(tensors[k].data as Float32Array, tensors[k].shape);
  try {
    learner.setOptimizerState({ step: info.optimizerStep, slots }, info.step);
  } finally {
    tf.dispose(Object.values(slots));
  }
  tf.tidy(() => {
    for (const [name, v] of vars) v.assign(tf.tensor(tensors[name].data as Float32Array, v.shape));
  });
  return info;
}
