// Seeded mutation fuzzing of every reader of user files: safetensors, learner checkpoints (with
// their metadata), IDX (raw and gzip). Each mutated file must end in an Error that names the file,
// or parse to data consistent with its own header — never another exception, a hang (each case
// ≤ 2 s: what "no hang" means here) or an allocation past the file's own size (the readers check
// sizes before allocating; a case's heap growth is bounded below). 1,000 cases per reader in the
// fast tier, 20,000 in the full tier (test/fuzz-cases.ts). A failure prints fast-check's seed and
// path: replay with BYOL_FUZZ_SEED=<seed>.
import * as tf from "@tensorflow/tfjs";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { BYOL } from "../src/byol";
import { parseIdx } from "../src/data/idx";
import { gunzipIdxSync } from "../src/data/read-idx";
import { parseSafetensors, writeSafetensors } from "../src/io/safetensors";
import { smallCnn } from "../src/nets/small-cnn";
import { readCheckpointInfo, restoreCheckpoint, serializeCheckpoint } from "../src/train/checkpoint";
import { idxBytes } from "./data-helpers";
import { oneCase, property, RUNS } from "./fuzz-cases";

describe("fuzzing the readers of user files", () => {
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  it(`safetensors: ${RUNS} mutated files (lengths, JSON, offsets, dtypes, shapes)`, () => {
    const base = writeSafetensors({ "a.weight": { shape: [3, 4], data: new Float32Array(12).fill(0.5) }, b: { shape: [5], data: new Float32Array(5) } }, { format: "x" });
    // JSON-level edits too: dtypes swapped, shapes and offsets off, keys duplicated
    const text = new TextDecoder().decode(base);
    const variants = [base, ...["F16", "I64", "BF16", "F64", "U8"].map((d) => new TextEncoder().encode(text.replace('"F32"', `"${d}"`))),
      new TextEncoder().encode(text.replace('"shape":[3,4]', '"shape":[4294967296,4294967296]')),
      new TextEncoder().encode(text.replace('"shape":[5]', '"shape":[-5]')),
      new TextEncoder().encode(text.replace('"data_offsets":[0,48]', '"data_offsets":[48,0]')),
      new TextEncoder().encode(text.replace('{"a.weight"', '{"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a.weight"'))];
    const check = (f: ReturnType<typeof parseSafetensors>) => {
      for (const [name, t] of Object.entries(f.tensors)) expect(t.data.length, name).toBe(t.shape.reduce((a, b) => a * b, 1));
    };
    for (const v of variants) oneCase("fuzz.safetensors", v, () => parseSafetensors(v, "fuzz.safetensors"), check);
    property(base, 200, (bytes) => oneCase("fuzz.safetensors", bytes, () => parseSafetensors(bytes, "fuzz.safetensors"), check));
  }, 600_000);

  it(`checkpoints: ${RUNS} mutated files, the learner untouched unless the file fits`, async () => {
    const make = () => BYOL.create({ encoder: smallCnn({ inputSize: 8, channels: 1, width: 1, seed: 1 }), imageSize: 8, channels: 1, projectionSize: 2, projectionHiddenSize: 4, seed: 1 });
    const source = await make();
    const base = await serializeCheckpoint(source, { step: 0, position: { epoch: 0, batch: 0 }, optimizer: { step: 0, slots: {} } });
    const learner = await make();
    const snapshot = () => learner.networks.online.projector.getWeights().map((w) => w.dataSync().slice());
    const before = snapshot();
    // metadata edits: info that is not JSON, not an object, or with bad step fields
    const parsed = parseSafetensors(base, "base");
    const tensors = Object.fromEntries(Object.entries(parsed.tensors).map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }]));
    for (const info of ['"not json', "5", "null", "[]", '{"step":-1,"optimizerStep":0}', '{"step":1.5,"optimizerStep":0}', '{"step":0}', '{"step":0,"optimizerStep":0}', '{"step":0,"optimizerStep":0,"position":{"epoch":-1,"batch":0}}']) {
      const bytes = writeSafetensors(tensors, { ...parsed.metadata, info });
      expect(() => readCheckpointInfo(bytes, "fuzz.ck"), info).toThrow(/^fuzz\.ck: checkpoint metadata is corrupted \(info/);
      oneCase("fuzz.ck", bytes, () => restoreCheckpoint(learner, bytes, "fuzz.ck"), () => expect.unreachable("restored corrupt metadata"));
    }
    // a refused file changes nothing; a file that fits is restored (then the original is put back)
    property(base, 2000, (bytes) => {
      let restored = false;
      oneCase("fuzz.ck", bytes, () => restoreCheckpoint(learner, bytes, "fuzz.ck"), () => (restored = true));
      if (restored) restoreCheckpoint(learner, base, "base");
      expect(snapshot()).toEqual(before);
    });
    source.dispose();
    learner.dispose();
  }, 600_000);

  it(`IDX, raw and gzip: ${RUNS} mutated files each`, () => {
    const raw = idxBytes([3, 4, 4]);
    const check = (r: ReturnType<typeof parseIdx>) => expect(r.data.length).toBe(r.shape.reduce((a, b) => a * b, 1));
    property(raw, 20, (bytes) => oneCase("fuzz-idx", bytes, () => parseIdx(bytes, "fuzz-idx"), check));
    const gz = new Uint8Array(gzipSync(raw));
    property(gz, gz.length, (bytes) => oneCase("fuzz-idx.gz", bytes, () => parseIdx(gunzipIdxSync(bytes, "fuzz-idx.gz"), "fuzz-idx.gz"), check));
  }, 600_000);
});
