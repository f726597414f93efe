import { createGzip, gzipSync } from "node:zlib";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseIdx, parseIdxAsync } from "../src/io";
import { readIdx } from "../src/node";
import { idxBytes } from "./data-helpers";

const FASHION = "/usr/share/datasets/fashion-mnist";

describe("parseIdx", () => {
  it("reads shape and data in C order", () => {
    const r = parseIdx(idxBytes([2, 3, 4]), "x.idx");
    expect(r.shape).toEqual([2, 3, 4]);
    expect(Array.from(r.data)).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });

  it("reads 1-d label files and empty arrays", () => {
    expect(parseIdx(idxBytes([5]), "l").shape).toEqual([5]);
    const empty = parseIdx(idxBytes([0, 28, 28]), "e");
    expect(empty.shape).toEqual([0, 28, 28]);
    expect(empty.data.length).toBe(0);
  });

  it("names the file and the fault for bad bytes", () => {
    const good = idxBytes([3, 2, 2]);
    expect(() => parseIdx(good.subarray(0, good.length - 5), "train-images-idx3-ubyte.gz"))
      .toThrow("train-images-idx3-ubyte.gz: truncated: header says 3×2×2 = 12 bytes, file has 7 after the 16-byte header");
    expect(() => parseIdx(good.subarray(0, 10), "f")).toThrow("f: truncated: the header of 3 dimensions needs 16 bytes, file has 10");
    expect(() => parseIdx(new Uint8Array([...good, 1, 2]), "f")).toThrow("f: 2 trailing bytes: header says 3×2×2 = 12 bytes");
    expect(() => parseIdx(new TextEncoder().encode("hello, world"), "g.idx")).toThrow("g.idx: not an IDX file: wrong magic 68 65 6c 6c");
    expect(() => parseIdx(new Uint8Array([0, 0]), "s")).toThrow("s: not an IDX file: 2 bytes is shorter than the 4-byte magic");
    expect(() => parseIdx(idxBytes([2], undefined, 0x0d), "f32")).toThrow("f32: dtype 0x0d (float32) is not supported: only 0x08 unsigned byte");
    expect(() => parseIdx(idxBytes([2], undefined, 0x42), "u")).toThrow("u: not an IDX file: unknown dtype 0x42");
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 0]), "z")).toThrow("z: not an IDX file: 0 dimensions");
    expect(() => parseIdx(gzipSync(good), "c.gz")).toThrow("c.gz: gzip-compressed: decompress it first");
  });
});

describe("parseIdxAsync (DecompressionStream)", () => {
  it("reads gzip and raw bytes alike", async () => {
    const raw = idxBytes([4, 5]);
    expect((await parseIdxAsync(gzipSync(raw), "a.gz")).data).toEqual(raw.subarray(12));
    expect((await parseIdxAsync(raw, "a")).shape).toEqual([4, 5]);
  });

  it("names the file when the gzip data is corrupt", async () => {
    const gz = gzipSync(idxBytes([50, 50]));
    await expect(parseIdxAsync(gz.subarray(0, gz.length >> 1), "half.gz")).rejects.toThrow("half.gz: corrupt gzip data");
  });
});

describe("readIdx (Node)", () => {
  const dir = mkdtempSync(join(tmpdir(), "byol-idx-"));

  it("reads the real Fashion-MNIST test labels (gzip) and a raw copy", () => {
    const labels = readIdx(join(FASHION, "t10k-labels-idx1-ubyte.gz"));
    expect(labels.shape).toEqual([10000]);
    expect(Array.from(labels.data.subarray(0, 10))).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    const images = readIdx(join(FASHION, "t10k-images-idx3-ubyte.gz"));
    expect(images.shape).toEqual([10000, 28, 28]);
    const raw = join(dir, "raw-idx1-ubyte");
    writeFileSync(raw, idxBytes([3]));
    expect(readIdx(raw).shape).toEqual([3]);
  });

  it("names the file for missing, truncated-gzip and garbage files", () => {
    expect(() => readIdx(join(dir, "nope.gz"))).toThrow(`${join(dir, "nope.gz")}: cannot read: no such file`);
    expect(() => readIdx(dir)).toThrow(`${dir}: cannot read: is a directory`);
    const gz = gzipSync(idxBytes([100, 28, 28]));
    writeFileSync(join(dir, "cut.gz"), gz.subarray(0, 200));
    expect(() => readIdx(join(dir, "cut.gz"))).toThrow(`${join(dir, "cut.gz")}: corrupt gzip data`);
    writeFileSync(join(dir, "short.gz"), gzipSync(idxBytes([100, 28, 28]).subarray(0, 1234 + 16)));
    expect(() => readIdx(join(dir, "short.gz"))).toThrow(`${join(dir, "short.gz")}: truncated: header says 100×28×28 = 78400 bytes, file has 1234`);
    writeFileSync(join(dir, "junk.gz"), new Uint8Array(64).fill(7));
    expect(() => readIdx(join(dir, "junk.gz"))).toThrow(`${join(dir, "junk.gz")}: not an IDX file: wrong magic 07 07 07 07`);
  });
});

describe("readIdx returns plain Uint8Arrays", () => {
  it("so that slice() copies, as for any typed array", () => {
    const labels = readIdx("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz").data;
    expect(Buffer.isBuffer(labels)).toBe(false);
    const copy = labels.slice(0, 3);
    copy[0] = 99;
    expect(labels[0]).toBe(9);
  });
});

/** A gzip stream of `header` followed by `zeros` zero bytes, compressed chunk by chunk (never held whole). */
async function gzipOf(header: Uint8Array, zeros: number): Promise<Uint8Array> {
  const gz = createGzip({ level: 9 });
  const parts: Buffer[] = [];
  gz.on("data", (d: Buffer) => parts.push(d));
  const done = new Promise((r) => gz.on("end", r));
  gz.write(header);
  const mb = new Uint8Array(1 << 20);
  for (let left = zeros; left > 0; left -= mb.length) gz.write(mb.subarray(0, Math.min(left, mb.length)));
  gz.end();
  await done;
  return new Uint8Array(Buffer.concat(parts));
}

describe("gzip that inflates past its IDX header (a decompression bomb)", () => {
  const dir = mkdtempSync(join(tmpdir(), "byol-bomb-"));
  const header = idxBytes([10, 10]).subarray(0, 12); // declares 100 bytes of data

  it("stops at the declared size in Node and in the stream reader, allocating no more than a stated margin", async () => {
    const bomb = await gzipOf(header, 512 << 20); // 512 MiB of zeros: ~0.5 MB of gzip
    const path = join(dir, "bomb-idx2-ubyte.gz");
    writeFileSync(path, bomb);
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const watch = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers)), 1);
    expect(() => readIdx(path)).toThrow(`${path}: trailing data: the gzip stream inflates past the 112 bytes its IDX header declares (10×10 after the header); stopped there`);
    await expect(parseIdxAsync(bomb, "bomb.gz")).rejects.toThrow("bomb.gz: trailing data: the gzip stream inflates past the 112 bytes its IDX header declares");
    clearInterval(watch);
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    // margin: 64 MiB over what the test holds (the file, zlib's chunks): the whole stream would be 512 MiB
    expect(peak - before).toBeLessThan(64 << 20);
  });

  it("refuses a header that declares more than its gzip can hold, or more than the cap, before allocating", async () => {
    const huge = idxBytes([1]).slice(0, 8);
    new DataView(huge.buffer).setUint32(4, 100_000_000); // 100 MB of labels claimed by a ~100-byte file
    const small = await gzipOf(huge, 10);
    expect(() => readIdxBytes(small, "claims.gz")).toThrow("claims.gz: truncated: header says 100000000 bytes of data, more than");
    await expect(parseIdxAsync(small, "claims.gz")).rejects.toThrow("claims.gz: truncated: header says 100000000 bytes of data");
    const over = idxBytes([1, 1, 1]).slice(0, 16);
    const view = new DataView(over.buffer);
    [65536, 65536, 2].forEach((d, i) => view.setUint32(4 + 4 * i, d));
    expect(() => parseIdx(over, "over")).toThrow("over: header says 65536×65536×2 bytes of data, more than the 2147483647 bytes byol-ts reads from one IDX file");
  });

  function readIdxBytes(bytes: Uint8Array, name: string) {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    try {
      return readIdx(path);
    } catch (e) {
      throw new Error((e as Error).message.replace(path, name));
    }
  }
});
