import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { decodeNpy, embeddingsToCsv, embeddingsToJson, encodeNpy, type Matrix } from "../src/eval";
import { writeEmbeddings } from "../src/node";
import { randn } from "./helpers";

// numpy 2.4's np.save header for float32 arrays (spare space for the first axis, 64-byte aligned).
const numpyHeader = (tuple: string) => {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`;
  return `\x93NUMPY\x01\x00v\x00${dict}${" ".repeat(127 - 10 - dict.length)}\n`;
};

const hasNumpy = (() => {
  try {
    execFileSync("python3", ["-c", "import numpy"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe(".npy", () => {
  it("writes numpy's exact header bytes", () => {
    for (const [shape, tuple] of [[[2, 3], "(2, 3)"], [[5], "(5,)"], [[0, 4], "(0, 4)"]] as const) {
      const n = shape.reduce((a: number, b: number) => a * b, 1);
      const bytes = encodeNpy(new Float32Array(n), [...shape]);
      const expected = Uint8Array.from(numpyHeader(tuple), (ch) => ch.charCodeAt(0));
      expect(Array.from(bytes.subarray(0, 128))).toEqual(Array.from(expected));
      expect(bytes.length).toBe(128 + 4 * n);
    }
    // a long shape still aligns the data to 64 bytes
    const long = encodeNpy(new Float32Array(0), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0]);
    expect(long.length % 64).toBe(0);
    expect(long[long.length - 1]).toBe(0x0a);
  });

  it("round-trips through our reader, little-endian float32", () => {
    const data = Float32Array.of(1, -2.5, 3e-38, 1e38, 0, -0, 0.1, 7);
    const bytes = encodeNpy(data, [2, 4]);
    expect(Array.from(bytes.subarray(128, 132))).toEqual([0x00, 0x00, 0x80, 0x3f]); // 1.0f little-endian
    const back = decodeNpy(bytes, "x.npy");
    expect(back.shape).toEqual([2, 4]);
    expect(back.data).toEqual(data);
    expect(decodeNpy(encodeNpy(new Float32Array(3), [3])).shape).toEqual([3]);
  });

  it("names the file and the fault on bad bytes", () => {
    const good = encodeNpy(new Float32Array(6), [2, 3]);
    expect(() => decodeNpy(new TextEncoder().encode("not numpy at all"), "a.npy")).toThrow("a.npy: not a .npy file");
    expect(() => decodeNpy(good.subarray(0, 140), "b.npy")).toThrow("b.npy: data is 12 bytes, shape (2, 3) needs 24");
    expect(() => decodeNpy(good.subarray(0, 50), "c.npy")).toThrow("c.npy: truncated header");
    const f8 = good.slice();
    f8.set(new TextEncoder().encode("<f8"), 21);
    expect(() => decodeNpy(f8, "d.npy")).toThrow("d.npy: dtype <f8 is not supported: only '<f4' (float32)");
    expect(() => encodeNpy(new Float32Array(5), [2, 3])).toThrow("encodeNpy: shape [2,3] does not hold 5 values");
  });

  it.skipIf(!hasNumpy)("numpy loads what we write", () => {
    const dir = mkdtempSync(join(tmpdir(), "byol-npy-"));
    const path = join(dir, "e.npy");
    const data = randn(12, 4);
    writeEmbeddings(path, { data, shape: [4, 3] });
    const out = execFileSync("python3", ["-c", `import numpy as np; a = np.load(${JSON.stringify(path)}); print(a.dtype, a.shape, repr(a.tolist()))`]).toString();
    expect(out.startsWith("float32 (4, 3)")).toBe(true);
    const values = JSON.parse(out.slice(out.indexOf("[")).replace(/\]\s*$/, "]"));
    expect(Float32Array.from(values.flat())).toEqual(data);
  });
});

describe("CSV and JSON", () => {
  const emb: Matrix = { data: Float32Array.of(0.1, -2, 3.25, 1e-7, 123456.789, -0.5), shape: [2, 3] };

  it("CSV: header, shortest float32 text, labels and quoted class names", () => {
    const csv = embeddingsToCsv(emb, { labels: [1, 0], classes: ['T-shirt, "top"', "Trouser"] });
    expect(csv).toBe('d0,d1,d2,label,class\n0.1,-2,3.25,1,Trouser\n1e-7,123456.79,-0.5,0,"T-shirt, ""top"""\n');
    const values = csv.split("\n").slice(1, 3).flatMap((l) => l.split(",").slice(0, 3).map(Number));
    expect(Float32Array.from(values)).toEqual(emb.data);
    expect(embeddingsToCsv(emb).split("\n")[0]).toBe("d0,d1,d2");
  });

  it("JSON: shape, rows, labels, classes; values read back exactly", () => {
    const t = tf.tensor2d(emb.data, emb.shape);
    const json = JSON.parse(embeddingsToJson(t, { labels: [1, 0], classes: ["a", "b"] }));
    t.dispose();
    expect(json.shape).toEqual([2, 3]);
    expect(Float32Array.from(json.embedding.flat())).toEqual(emb.data);
    expect(json.labels).toEqual([1, 0]);
    expect(json.classes).toEqual(["a", "b"]);
  });

  it("refuses labels that do not fit", () => {
    expect(() => embeddingsToCsv(emb, { labels: [0] })).toThrow("embedding export: 1 labels for 2 rows");
    expect(() => embeddingsToCsv(emb, { labels: [0, 2], classes: ["a", "b"] })).toThrow("label 2 at row 1 has no class name (2 classes)");
    expect(() => embeddingsToJson(emb, { classes: ["a"] })).toThrow("classes given without labels");
  });
});

describe("writeEmbeddings", () => {
  it("picks the format from the extension and leaves no temporary files", () => {
    const dir = mkdtempSync(join(tmpdir(), "byol-emb-"));
    const emb: Matrix = { data: Float32Array.of(1, 2, 3, 4, 5, 6), shape: [2, 3] };
    writeEmbeddings(join(dir, "e.csv"), emb, { labels: [0, 1] });
    writeEmbeddings(join(dir, "e.json"), emb);
    writeEmbeddings(join(dir, "e.npy"), emb);
    expect(readdirSync(dir).sort()).toEqual(["e.csv", "e.json", "e.npy"]);
    expect(readFileSync(join(dir, "e.csv"), "utf8")).toBe("d0,d1,d2,label\n1,2,3,0\n4,5,6,1\n");
    expect(decodeNpy(readFileSync(join(dir, "e.npy"))).data).toEqual(emb.data);
    expect(() => writeEmbeddings(join(dir, "e.txt"), emb)).toThrow(`${join(dir, "e.txt")}: unknown embedding format ".txt": use .csv, .json or .npy`);
    const blocked = join(dir, "e.csv", "inside.csv");
    expect(() => writeEmbeddings(blocked, emb)).toThrow(`${blocked}: cannot write the embedding`);
  });
});
