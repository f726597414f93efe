// `byol train`: BYOL (or SimSiam, VICReg) on Fashion-MNIST or a folder of images with a progress
// bar, kNN monitoring (when the data has labels), atomic checkpoints, exact resume, and a final
// evaluation of the online encoder.
import { SingleBar } from "cli-progress";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Learner, MethodName } from "../learner";
import { select, type LabelledAnyImageSet } from "../data/any-images";
import { batchesPerEpoch, heldOutSplit } from "../data/batches";
import { channelStats } from "../data/channel-stats";
import { writeAtomic } from "../data/write-atomic";
import { serializeCheckpoint } from "../train/checkpoint";
import type { TrainerState } from "../train/trainer";
import { checkpointPath, learnerFromCheckpoint, writeCheckpointFile } from "../train/checkpoint-file";
import { DEFAULT_RUN, methodOf, representationOf, type RunConfig } from "../train/config";
import { buildLearner, createTrainer, evaluateKnn, METHODS, normalizationOf, representationFits } from "../train/setup";
import { lockRunDir } from "../train/run-lock";
import { choice, num, parse, readConfigFile, UsageError } from "./args";
import { BACKEND_FLAGS, backendFlags, encoderText, say, startBackend } from "./common";
import { dataSource, DEFAULT_CACHE_MB, loadRunData, memoryBytesOf } from "./data";
import { evaluate, printEvaluation } from "./evaluate";
import { helpText, type FlagTable } from "./flags";
import { initEncoder, readInitWeights } from "./init-from";

/** `byol train`'s flags (its --config file's keys). */
export const TRAIN_FLAGS = {
  method: { type: "string", choices: METHODS, default: "byol", help: "BYOL, BYOL without the target's moving average (SimSiam), or VICReg (Bardes et al. 2022; no predictor, the projector is its expander)" },
  data: { type: "string", value: "PATH", help: "a folder with IDX files (default: Fashion-MNIST from BYOL_DATA, the user cache, Debian's dataset-fashion-mnist, then a download), or a folder of PNG and JPEG images, optionally in one sub-folder per class (labels for evaluation only; 20% of them, seeded, are the evaluation queries)" },
  "image-size": { type: "string", value: "S", default: "their own if all equal, else 64", help: "image folders: side the images are resized to (area averaging when shrinking)" },
  channels: { type: "string", choices: ["1", "3"], default: "grey when every image is grey", help: "image folders: grey or RGB" },
  fit: { type: "string", choices: ["crop", "pad"], default: "crop", help: "image folders: make images square by their centre crop or by black padding" },
  "cache-mb": { type: "string", value: "M", default: DEFAULT_CACHE_MB, help: "image folders: memory for the decoded images; a larger set is decoded into the run's images.cache and training streams it from there (evaluation reads a sample that fits)" },
  steps: { type: "string", value: "N", default: DEFAULT_RUN.totalSteps, help: "run length in steps; give one of --steps, --epochs, --minutes" },
  epochs: { type: "string", value: "N", help: "run length in passes over the training images" },
  minutes: { type: "string", value: "M", help: "run length in minutes: the step count is fixed after timing the first steps, so the τ and LR schedules span the run" },
  batch: { type: "string", value: "B", default: DEFAULT_RUN.batchSize, help: "images per step" },
  ...BACKEND_FLAGS,
  seed: { type: "string", value: "S", default: DEFAULT_RUN.seed, help: "fixes initialization, data order and augmentation" },
  out: { type: "string", value: "DIR", default: "runs/byol", help: "run directory: checkpoint.safetensors, results.json" },
  resume: { type: "boolean", help: "continue the run in --out exactly where its checkpoint stopped" },
  overwrite: { type: "boolean", help: "start afresh even if --out holds a checkpoint (replaced at the first save)" },
  arch: { type: "string", choices: ["resnet18", "resnet34", "resnet50", "small-cnn"], default: DEFAULT_RUN.encoder.arch, help: "the encoder" },
  width: { type: "string", value: "W", default: DEFAULT_RUN.encoder.width, help: "base width of the encoder" },
  depth: { type: "string", value: "N", default: DEFAULT_RUN.encoder.depth ?? 1, help: "small-cnn: convolutions per downsampled stage" },
  stages: { type: "string", value: "N", default: DEFAULT_RUN.encoder.stages ?? 2, help: "small-cnn: downsampled stages, each halving the side and doubling the channels" },
  stem: { type: "string", choices: ["cifar", "imagenet"], default: DEFAULT_RUN.encoder.stem, help: "ResNets: cifar is a 3×3 stride-1 first conv without max-pool, imagenet torchvision's 7×7 stride-2 conv and max-pool" },
  "zero-init-residual": { type: "boolean", help: "ResNets: each block's last BN starts at γ = 0 (torchvision's zero_init_residual)" },
  "init-from": { type: "string", value: "FILE", help: "start the encoder (and the target, a copy) from a .safetensors state dict with torchvision's names: byol export --format torchvision, a torchvision ResNet (its fc is ignored), byol-pytorch's online_encoder.net; --arch, --width, --stem and the channels must match it" },
  tap: { type: "string", value: "NAME", default: DEFAULT_RUN.tap, help: "the layer the projector reads: avgpool (the global pool) or gridG (the last feature map pooled to G×G)" },
  representation: { type: "string", value: "NAME", default: `${DEFAULT_RUN.representation ?? "the tap"}; with --tap alone: the tap`, help: "the representation evaluation, embed and export use, if not the --tap" },
  lr: { type: "string", value: "X", default: DEFAULT_RUN.learningRate, help: "peak learning rate" },
  "predictor-lr": { type: "string", value: "X", default: DEFAULT_RUN.predictorLrScale ?? 1, help: "byol, simsiam: the predictor's learning rate as a multiple of --lr" },
  warmup: { type: "string", value: "N", default: DEFAULT_RUN.warmupSteps, help: "steps of linear learning-rate warm-up" },
  tau: { type: "string", value: "X", default: DEFAULT_RUN.tauBase, help: "byol: τ_base of the target's moving average (cosine to 1)" },
  augment: { type: "string", choices: ["paper", "byol-pytorch"], default: DEFAULT_RUN.augment.preset, help: "the augmentation preset" },
  "crop-min": { type: "string", value: "X", default: DEFAULT_RUN.augment.cropScale[0], help: "smallest share of the image area a random crop keeps" },
  limit: { type: "string", value: "N", help: "train on the first N IDX training images, or a seeded sample of N files" },
  "eval-every": { type: "string", value: "N", default: "10 times per run", help: "kNN monitor every N steps (0: only before and after)" },
  "log-every": { type: "string", value: "N", default: "--eval-every, or 10 times per run", help: "without a terminal, print a progress line every N steps" },
  "checkpoint-every": { type: "string", value: "N", default: 100, help: "checkpoint every N steps (also at the end and on Ctrl-C)" },
  final: { type: "string", choices: ["full", "knn", "monitor", "none"], default: "full", help: "final evaluation: full (kNN and linear probe on all 60k/10k; z-std and effective rank without labels), knn (full kNN), monitor (the monitor's subset), none" },
  config: { type: "string", value: "FILE", help: "JSON with any of these flags as keys; flags on the command line win" },
  quiet: { type: "boolean", help: "no progress bar" },
} as const satisfies FlagTable;

export const TRAIN_HELP = helpText("byol train — train BYOL on Fashion-MNIST or your images (labels are used only to report accuracy)", TRAIN_FLAGS);

/** Flags that define the run; with --resume they come from the checkpoint. */
const RUN_FLAGS = ["method", "steps", "epochs", "minutes", "batch", "seed", "init-from", "arch", "width", "depth", "stages", "stem", "zero-init-residual", "tap", "representation", "lr", "predictor-lr", "warmup", "tau", "augment", "crop-min", "limit", "image-size", "channels", "fit"];

type Values = Record<string, string | boolean | undefined>;

/** A new run's --image-size and --channels (image folders only; absent = the data's own). */
function folderShape(v: Values, data: NonNullable<RunConfig["data"]>): { size?: number; channels?: 1 | 3 } {
  const size = num(v, "image-size", { min: 8, max: 1024, integer: true });
  const channels = choice(v, "channels", TRAIN_FLAGS.channels.choices);
  const given = ["image-size", "channels", "fit", "cache-mb"].filter((k) => v[k] !== undefined);
  if (data.format === "idx" && given.length) {
    throw new UsageError(`${given.map((k) => `--${k} ${v[k]}`).join(", ")}: for image folders only; ${data.path ?? "Fashion-MNIST"} is IDX data, used at its own size`);
  }
  return { size, channels: channels && (Number(channels) as 1 | 3) };
}

/** The flags a --config file gives: its keys must be flags, switches JSON booleans (the string "false" would switch one on). */
function configFlags(file: Record<string, unknown>, path: string): Values {
  const out: Values = {};
  for (const [key, x] of Object.entries(file)) {
    const flag = TRAIN_FLAGS[key as keyof typeof TRAIN_FLAGS];
    if (!flag || key === "config") throw new UsageError(`--config ${path}: unknown key ${JSON.stringify(key)}`);
    const fits = flag.type === "boolean" ? typeof x === "boolean" : typeof x === "string" || typeof x === "number";
    if (!fits) throw new UsageError(`--config ${path}: "${key}" must be ${flag.type === "boolean" ? "true or false" : "a number or string"}, got ${JSON.stringify(x)}`);
    out[key] = typeof x === "boolean" ? x : String(x);
  }
  return out;
}

/** Flags of one method only: given with another, they would do nothing. */
const METHOD_FLAGS: Record<string, readonly MethodName[]> = { tau: ["byol"], "predictor-lr": ["byol", "simsiam"] };

function runConfigFrom(v: Values): RunConfig {
  const d = DEFAULT_RUN;
  const method = choice(v, "method", METHODS) ?? "byol";
  const idle = Object.keys(METHOD_FLAGS).find((k) => v[k] !== undefined && !METHOD_FLAGS[k].includes(method));
  if (idle) throw new UsageError(`--${idle} ${v[idle]} is for --method ${METHOD_FLAGS[idle].join(" or ")}, not ${method}`);
  const cropMin = num(v, "crop-min", { min: 0.01, max: 1 });
  const arch = choice(v, "arch", TRAIN_FLAGS.arch.choices) ?? d.encoder.arch;
  const stages = num(v, "stages", { min: 1, max: 8, integer: true }) ?? d.encoder.stages;
  if (v.stages !== undefined && arch !== "small-cnn") throw new UsageError(`--stages ${v.stages} is for --arch small-cnn, not ${arch}`);
  return {
    ...d,
    method,
    useMomentum: method === "byol",
    encoder: {
      arch,
      width: num(v, "width", { min: 1, max: 512, integer: true }) ?? d.encoder.width,
      stem: choice(v, "stem", TRAIN_FLAGS.stem.choices) ?? d.encoder.stem,
      ...(v["zero-init-residual"] ? { zeroInitResidual: true } : {}),
      ...(v.depth !== undefined ? { depth: num(v, "depth", { min: 1, max: 16, integer: true }) } : {}),
      ...(arch === "small-cnn" && stages !== undefined ? { stages } : {}),
    },
    tap: (v.tap as string | undefined) ?? d.tap,
    representation: (v.representation as string | undefined) ?? (v.tap ? undefined : d.representation),
    learningRate: num(v, "lr", { min: 0 }) ?? d.learningRate,
    predictorLrScale: num(v, "predictor-lr", { min: 1e-6, max: 1e6 }) ?? d.predictorLrScale,
    warmupSteps: num(v, "warmup", { min: 0, integer: true }) ?? d.warmupSteps,
    tauBase: num(v, "tau", { min: 0, max: 1 }) ?? d.tauBase,
    batchSize: num(v, "batch", { min: 2, max: 8192, integer: true }) ?? d.batchSize,
    seed: num(v, "seed", { min: 0, max: 0xffffffff, integer: true }) ?? d.seed, // the generators take 32 bits
    augment: {
      preset: choice(v, "augment", TRAIN_FLAGS.augment.choices) ?? d.augment.preset,
      cropScale: [cropMin ?? d.augment.cropScale[0], 1],
    },
    limit: num(v, "limit", { min: 0, integer: true }) ?? d.limit,
    data: dataSource(v.data as string | undefined, choice(v, "fit", TRAIN_FLAGS.fit.choices) ?? "crop"),
  };
}

/** The heads a run trains on its tap, for the model line. */
function headsOf(config: RunConfig, tapSize: number): string {
  const [h, p, tap] = [config.projectionHiddenSize, config.projectionSize, config.tap ?? "avgpool"];
  return methodOf(config) === "vicreg" ? `expander ${tapSize}→${h}→${h}→${p} on ${tap}` : `projector ${tapSize}→${h}→${p} on ${tap}`;
}

/** Runs `byol train`; returns the exit code. */
export async function train(argv: string[]): Promise<number> {
  const cli = parse(argv, TRAIN_FLAGS);
  if (cli.help) {
    console.log(TRAIN_HELP);
    return 0;
  }
  const file = configFlags(readConfigFile(cli.config as string | undefined), cli.config as string);
  const v: Values = { ...file, ...cli };
  const lengths = ["steps", "epochs", "minutes"].filter((k) => v[k] !== undefined);
  if (lengths.length > 1) throw new UsageError(`give one of --steps, --epochs, --minutes (got ${lengths.map((k) => "--" + k).join(" and ")})`);
  const out = (v.out as string | undefined) ?? join("runs", "byol");
  // every flag is checked before the slow start (lock, backend, data): a bad value is reported at once
  const backend = backendFlags(v);
  const given = RUN_FLAGS.filter((k) => cli[k] !== undefined);
  if (v.resume && given.length) throw new UsageError(`--resume continues the run recorded in ${checkpointPath(out)}; drop ${given.map((k) => "--" + k).join(", ")}`);
  const shape = v.resume ? {} : folderShape(v, dataSource(v.data as string | undefined, "crop"));
  const fresh = v.resume ? undefined : runConfigFrom(v);
  const init = fresh && v["init-from"] !== undefined ? readInitWeights(v["init-from"] as string) : undefined;
  const steps = v.resume ? undefined : num(v, "steps", { min: 1, integer: true });
  const epochs = v.resume ? undefined : num(v, "epochs", { min: 0.01 });
  const minutes = v.resume ? undefined : num(v, "minutes", { min: 0.1 });
  const every = {
    // 0: the monitor runs only before and after training
    eval: ((n) => (n === 0 ? Infinity : n))(num(v, "eval-every", { min: 0, integer: true })),
    log: num(v, "log-every", { min: 1, integer: true }),
    checkpoint: num(v, "checkpoint-every", { min: 1, integer: true }) ?? 100,
  };
  const finalMode = choice(v, "final", TRAIN_FLAGS.final.choices) ?? "full";
  const memoryBytes = memoryBytesOf(v);
  if (fresh && existsSync(checkpointPath(out)) && !v.overwrite) throw new UsageError(`${checkpointPath(out)} exists: pass --resume to continue it, --overwrite to start afresh, or another --out`);
  const lock = lockRunDir(out);
  if (lock.stale !== null) say(`${out}: took over the lock of process ${lock.stale}, which is gone`);
  await startBackend(backend);

  let resumed: Learner | undefined;
  let config: RunConfig;
  let history: { step: number; loss: number; zStd: number; knn?: number; minutes: number }[] = [];
  let state: TrainerState | undefined;
  let elapsedBefore = 0;
  if (!fresh) {
    const r = await learnerFromCheckpoint(out);
    ({ learner: resumed, config, state } = r);
    const corrupt = (field: string) => new Error(`${r.path}: checkpoint metadata is corrupted (info.${field} is ${JSON.stringify(r.info[field]) ?? "missing"})`);
    if (!Array.isArray(r.info.history ?? [])) throw corrupt("history");
    history = (r.info.history as typeof history) ?? [];
    const elapsed = r.info.elapsedMs ?? 0;
    if (typeof elapsed !== "number" || !(elapsed >= 0)) throw corrupt("elapsedMs");
    elapsedBefore = elapsed;
    say(`resuming ${r.path} at step ${state.step} of ${config.totalSteps}`);
  } else {
    config = init ? { ...fresh, initFrom: init.path } : fresh;
  }
  const dataset = await loadRunData(config, v.resume
    ? { path: v.data as string | undefined, limit: config.limit, size: config.imageSize, channels: config.channels as 1 | 3, runDir: out, memoryBytes }
    : { limit: config.limit, ...shape, runDir: out, memoryBytes });
  const data = dataset.stream ?? dataset.train;
  if (!resumed) {
    // the networks take the images as loaded: a folder's size and channels may come from its files
    config.imageSize = data.height;
    config.channels = data.channels;
    if (!init) config.normalization = channelStats(data);
    // the default grid needs a last feature map at least its size; small images keep the tap
    if (v.representation === undefined && config.representation !== undefined && !representationFits(config)) {
      say(`representation: ${config.tap ?? "avgpool"} (${config.imageSize}-px images leave a last feature map smaller than ${config.representation})`);
      config.representation = undefined;
    }
  }
  const learner = resumed ?? (await buildLearner(config));
  if (init) say(initEncoder(learner, init, config));
  if (state && state.position.batch >= batchesPerEpoch(data.n, config.batchSize)) {
    throw new Error(`${checkpointPath(out)}: checkpoint metadata is corrupted (info.position batch ${state.position.batch} is past the ${batchesPerEpoch(data.n, config.batchSize)} batches of an epoch)`);
  }
  if (!v.resume) {
    const epochSteps = batchesPerEpoch(data.n, config.batchSize);
    if (epochSteps === 0) throw new UsageError(`--batch ${config.batchSize} is larger than the ${data.n} training images`);
    config.totalSteps = steps ?? (epochs ? Math.max(1, Math.round(epochs * epochSteps)) : config.totalSteps);
  }
  say(`model: ${encoderText(config.encoder)}, representation ${representationOf(config)}, ${headsOf(config, learner.tapSize)}; method ${methodOf(config)}, batch ${config.batchSize}, lr ${config.learningRate}${methodOf(config) === "byol" ? `, τ ${config.tauBase}→1` : ""}, seed ${config.seed}`);

  const trainer = await createTrainer(config, learner, data, { state });

  // kNN monitor (labelled data only): a fixed bank of up to 10k evaluation-bank images, 2k test queries
  const normalization = normalizationOf(config);
  const sample = (set: LabelledAnyImageSet, n: number, seed: number) => select(set, heldOutSplit(set.n, Math.min(n, set.n), seed).heldOut);
  const split = dataset.split;
  const bank = split && sample(split.train, 10_000, config.seed + 1);
  const queries = split && sample(split.test, 2_000, config.seed + 2);
  const monitor = async () => (bank && queries ? evaluateKnn(learner, bank, queries, { normalization }) : undefined);
  let evalEvery = every.eval ?? Math.max(1, Math.round(config.totalSteps / 10));
  const logDefault = () => (Number.isFinite(evalEvery) ? evalEvery : Math.max(1, Math.round(config.totalSteps / 10)));
  let logEvery = every.log ?? logDefault();
  const checkpointEvery = every.checkpoint;

  const t0 = performance.now();
  const minutesNow = () => (elapsedBefore + performance.now() - t0) / 60_000;
  const save = async (): Promise<string> => {
    const bytes = await serializeCheckpoint(learner, await trainer.state(), { config, history, elapsedMs: minutesNow() * 60_000 });
    return writeCheckpointFile(out, bytes);
  };
  let knnStart: number | undefined;
  if (trainer.steps === 0) {
    knnStart = await monitor();
    if (bank && queries && knnStart !== undefined) say(`kNN before training (monitor: ${bank.n} bank, ${queries.n} queries): ${(100 * knnStart).toFixed(2)}%`);
  }

  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  process.once("SIGINT", onSigint);
  const tty = process.stderr.isTTY && !v.quiet;
  const bar = tty
    ? new SingleBar({ format: "{bar} {value}/{total} | loss {loss} | z-std {zstd} | {ips} img/s | kNN {knn} | ETA {eta_formatted}", barsize: 24, etaBuffer: 20, hideCursor: true, stream: process.stderr })
    : null;
  bar?.start(config.totalSteps, trainer.steps, { loss: "-", zstd: "-", ips: "-", knn: knnStart !== undefined ? (100 * knnStart).toFixed(1) + "%" : "-" });
  let lastKnn = knnStart;
  let lastSaved = trainer.steps;
  let ips = 0;
  let timedMs = 0;
  // --minutes: fit the run length to the speed of the steps so far (after 3 warm-up steps) at
  // step 6, then again after the first kNN check in the run with that check's time (the check
  // before training pays one-time warm-up, so it would overstate the monitor's cost)
  const fit = (done: number, monitorMin: number, spread: number) => {
    const perStep = (1.1 * timedMs) / 60_000 / (done - 3);
    config.totalSteps = Math.max(done + 1, done + Math.floor((minutes! - minutesNow()) / (perStep + monitorMin / spread)));
    trainer.totalSteps = config.totalSteps;
    bar?.setTotal(config.totalSteps);
  };
  try {
    while (trainer.steps < config.totalSteps && !interrupted) {
      const r = await trainer.step();
      const done = trainer.steps;
      ips = ips ? 0.9 * ips + 0.1 * (1000 * config.batchSize) / r.milliseconds : (1000 * config.batchSize) / r.milliseconds;
      if (done > 3) timedMs += r.milliseconds; // the first steps pay warm-up costs
      if (minutes !== undefined && done === 6) {
        fit(done, 0, 1);
        if (!every.eval) evalEvery = Math.max(1, Math.round(config.totalSteps / 10));
        if (!every.log) logEvery = logDefault();
      }
      const entry: (typeof history)[number] = { step: done, loss: r.loss, zStd: r.zStd, minutes: minutesNow() };
      if (done % evalEvery === 0 || done === config.totalSteps) {
        const m0 = minutesNow();
        entry.knn = lastKnn = await monitor();
        if (minutes !== undefined && done === evalEvery && done < config.totalSteps) fit(done, minutesNow() - m0, evalEvery);
      }
      history.push(entry);
      const fields = { loss: r.loss.toFixed(3), zstd: r.zStd.toFixed(3), ips: ips.toFixed(0), knn: lastKnn !== undefined ? (100 * lastKnn).toFixed(1) + "%" : "-" };
      if (bar) bar.update(done, fields);
      else if (!v.quiet && (done % logEvery === 0 || done === config.totalSteps || done === 1)) {
        say(`step ${done}/${config.totalSteps} | loss ${fields.loss} | z-std ${fields.zstd} | ${fields.ips} img/s | kNN ${fields.knn}`);
      }
      if (done - lastSaved >= checkpointEvery) {
        await save();
        lastSaved = done;
      }
      await new Promise((resolve) => setImmediate(resolve)); // let Ctrl-C arrive between steps
    }
  } catch (e) {
    bar?.stop();
    const last = lastSaved > 0 || v.resume ? ` The last good checkpoint (step ${lastSaved}) is ${checkpointPath(out)}.` : "";
    throw new Error(`${(e as Error).message}.${last}`);
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
  bar?.stop();
  const path = await save();
  if (interrupted) {
    say(`interrupted at step ${trainer.steps}: checkpoint ${path}; continue with --resume --out ${out}`);
    return 130;
  }
  say(`trained ${trainer.steps} steps in ${minutesNow().toFixed(1)} min; checkpoint ${path}`);
  if (knnStart !== undefined && lastKnn !== undefined) say(`kNN monitor: ${(100 * knnStart).toFixed(2)}% before → ${(100 * lastKnn).toFixed(2)}% after`);

  const results: Record<string, unknown> = { steps: trainer.steps, minutes: minutesNow(), config, knnMonitorStart: knnStart, knnMonitorEnd: lastKnn, history };
  if (finalMode === "full" || finalMode === "knn") {
    const ev = await evaluate(learner, dataset, normalization, { linear: finalMode === "full", seed: config.seed });
    printEvaluation(ev);
    Object.assign(results, ev);
  }
  writeAtomic(join(out, "results.json"), JSON.stringify(results, null, 1), "results");
  return 0;
}
