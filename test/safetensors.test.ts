import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseSafetensors, readSafetensors, writeSafetensors } from "../src/io/safetensors";
import { fixturePath } from "./helpers";

describe("safetensors", () => {
  it("reads the PyTorch fixtures with shapes and metadata", () => {
    const f = parseSafetensors(readFileSync(fixturePath("cosine-loss.safetensors")));
    expect(f.tensors.pred.shape).toEqual([16, 64]);
    expect(f.tensors.pred.data).toBeInstanceOf(Float32Array);
    expect(f.metadata.what).toMatch(/cosine/);
  });

  it("decodes tensors from a Node Buffer (whose slice() is a view, not a copy)", () => {
    const bytes = writeSafetensors({ a: { shape: [2], data: new Float32Array([1, 2]) }, b: { shape: [3], data: new Float32Array([3, 4, 5]) } });
    const t = readSafetensors(Buffer.from(bytes));
    expect(Array.from(t.b.data as Float32Array)).toEqual([3, 4, 5]);
  });

  it("round-trips bit-exactly, with metadata", () => {
    const a = new Float32Array([1.5, -0, NaN, 3e-39, 1e38, -7]);
    const bytes = writeSafetensors({ a: { shape: [2, 3], data: a }, i: { shape: [2], data: new Int32Array([1, -2]) } }, { k: "v" });
    const back = parseSafetensors(bytes);
    expect(new Uint8Array(back.tensors.a.data.buffer)).toEqual(new Uint8Array(a.buffer));
    expect(back.tensors.i.dtype).toBe("I32");
    expect(back.metadata).toEqual({ k: "v" });
  });

  it("names the file and the fault for bad input", () => {
    expect(() => readSafetensors(new Uint8Array(3), "w.safetensors")).toThrow(/w\.safetensors.*8-byte/);
    const garbage = new TextEncoder().encode("\x10\x00\x00\x00\x00\x00\x00\x00not json at all!");
    expect(() => readSafetensors(garbage, "g.bin")).toThrow(/g\.bin.*not JSON/);
    const ok = writeSafetensors({ w: { shape: [4], data: new Float32Array(4) } });
    expect(() => readSafetensors(ok.subarray(0, ok.length - 4), "t.safetensors")).toThrow(/t\.safetensors.*'w'.*truncated/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    expect(() => readSafetensors(huge, "h")).toThrow(/header length/);
  });
});
