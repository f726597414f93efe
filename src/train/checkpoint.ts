// Run checkpoints as one safetensors file: every weight of the learner's networks (BYOL: online,
// target and predictor; BN statistics included), the trainer's optimizer slots, and JSON metadata
// (step, data position, configuration) — everything needed to resume exactly. One file, so it can
// be replaced atomically.
import * as tf from "../tf";
import type { Learner } from "../learner";
import { parseSafetensors, writeSafetensors, type SafeTensorInput } from "../io/safetensors";
import type { TrainerState } from "./trainer";

/** Identifies our checkpoints inside the safetensors metadata. */
export const CHECKPOINT_FORMAT = "byol-ts/checkpoint@1";

/** What a checkpoint carries besides tensors: the trainer's step and position, and free-form JSON of the caller's (config, history). */
export interface CheckpointInfo {
  step: number;
  optimizerStep: number;
  position: { epoch: number; batch: number };
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

/** Serializes the learner's weights, the trainer's `state` and the caller's `extra` JSON to safetensors bytes. */
export async function serializeCheckpoint(learner: Learner, state: TrainerState, extra: Record<string, unknown> = {}): Promise<Uint8Array> {
  const tensors: Record<string, SafeTensorInput> = {};
  for (const [name, v] of learnerVariables(learner)) tensors[name] = { shape: v.shape, data: (await v.data()) as Float32Array };
  for (const [name, t] of Object.entries(state.optimizer.slots)) tensors[`optimizer/${name}`] = t;
  const info = { ...extra, step: state.step, optimizerStep: state.optimizer.step, position: state.position };
  return writeSafetensors(tensors, { format: CHECKPOINT_FORMAT, info: JSON.stringify(info) });
}

/** Reads the metadata of a checkpoint without touching any learner. `source` names the file. */
export function readCheckpointInfo(bytes: Uint8Array, source: string): CheckpointInfo {
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
  const p = i.position as Record<string, unknown> | undefined;
  if (!p || typeof p !== "object" || ![p.epoch, p.batch].every((x) => Number.isSafeInteger(x) && (x as number) >= 0)) bad("position", p);
  return i as CheckpointInfo;
}

/**
 * Restores a learner's weights from checkpoint bytes and returns the trainer state to continue from
 * (give it to `Trainer.create`). All tensors are checked (missing, unexpected, mis-shaped: listed
 * together, naming the file) before any variable changes.
 */
export function restoreCheckpoint(learner: Learner, bytes: Uint8Array, source: string): { info: CheckpointInfo; state: TrainerState } {
  const info = readCheckpointInfo(bytes, source);
  const { tensors } = parseSafetensors(bytes, source);
  const vars = learnerVariables(learner);
  const byParameter = new Map(learner.parameters.map((p) => [p.name, p.variable]));
  const problems: string[] = [];
  for (const [name, v] of vars) {
    const t = tensors[name];
    if (!t) problems.push(`missing '${name}'`);
    else if (!tf.util.arraysEqual(t.shape, v.shape)) problems.push(`'${name}' is [${t.shape}], the learner has [${v.shape}]`);
    else if (t.dtype !== "F32") problems.push(`'${name}' is ${t.dtype}, expected F32`);
  }
  const slots: TrainerState["optimizer"]["slots"] = {};
  for (const [k, t] of Object.entries(tensors)) {
    if (vars.has(k)) continue;
    if (!k.startsWith("optimizer/")) {
      problems.push(`unexpected '${k}'`);
      continue;
    }
    const slot = k.slice("optimizer/".length);
    const parameter = byParameter.get(slot.slice(0, slot.lastIndexOf("/")));
    if (!parameter) problems.push(`'${k}' is a slot of no parameter of this learner`);
    else if (!tf.util.arraysEqual(t.shape, parameter.shape)) problems.push(`'${k}' is [${t.shape}], its parameter is [${parameter.shape}]`);
    else if (t.dtype !== "F32") problems.push(`'${k}' is ${t.dtype}, expected F32`);
    else slots[slot] = { shape: t.shape, data: t.data as Float32Array };
  }
  if (problems.length) throw new Error(`${source}: checkpoint does not fit this learner: ${problems.join("; ")}`);
  tf.tidy(() => {
    for (const [name, v] of vars) v.assign(tf.tensor(tensors[name].data as Float32Array, v.shape));
  });
  return { info, state: { step: info.step, position: { epoch: info.position.epoch, batch: info.position.batch }, optimizer: { step: info.optimizerStep, slots } } };
}
