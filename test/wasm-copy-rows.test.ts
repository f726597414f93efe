// The row-copy kernels behind Slice and PadV2 on wasm (the zero padding before a stride-2
// convolution, and its gradient): the raw kernels against a plain loop, then tfjs' slice, pad and
// the pad's gradient on wasm against cpu, bit for bit — including the cases left to tfjs-wasm.
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kernels } from "../bindings/loader";
import { padV2Config, sliceConfig } from "../bindings/tfjs-wasm/copy-rows";
import { setBackend } from "../src/backend";
import { randn } from "./helpers";

type RowCopy = (x: number, out: number, n: number, h: number, w: number, c: number, top: number, left: number, oh: number, ow: number) => void;

beforeAll(async () => {
  await setBackend("wasm");
});
afterAll(async () => {
  await setBackend("cpu");
});

/** x [n, h, w, c] read at (b, y, x, ch), or 0 outside. */
const at = (x: Float32Array, [, h, w, c]: number[], b: number, y: number, xx: number, ch: number) => (y < 0 || y >= h || xx < 0 || xx >= w ? 0 : x[((b * h + y) * w + xx) * c + ch]);

describe("crop_rows and pad_rows", () => {
  // [n, h, w, c], top, left, and the output's oh, ow (a crop inside x; a pad around it)
  const cases: Array<[number[], number, number, number, number]> = [
    [[2, 5, 6, 3], 1, 2, 3, 3],
    [[1, 4, 4, 1], 0, 0, 4, 4],
    [[3, 7, 5, 8], 2, 0, 1, 5],
    [[2, 3, 9, 2], 0, 8, 3, 1],
  ];
  it.each(cases)("crop of %j at (%i, %i), %i × %i, equals the plain loop", (shape, top, left, oh, ow) => {
    const [n, h, w, c] = shape;
    const x = randn(n * h * w * c, h * 31 + w);
    const heap = kernels().heap;
    const [xp, out] = [heap.allocF32(x.length), heap.allocF32(n * oh * ow * c)];
    xp.view().set(x);
    (kernels().exports as unknown as { crop_rows: RowCopy }).crop_rows(xp.ptr, out.ptr, n, h, w, c, top, left, oh, ow);
    const want = Float32Array.from({ length: out.length }, (_, i) => {
      const ch = i % c, xx = Math.floor(i / c) % ow, y = Math.floor(i / (c * ow)) % oh, b = Math.floor(i / (c * ow * oh));
      return at(x, shape, b, top + y, left + xx, ch);
    });
    expect(out.view()).toEqual(want);
    xp.free();
    out.free();
  });
  it.each(cases)("pad of %j at (%i, %i) by %i, %i more rows and columns equals the plain loop", (shape, top, left, extraH, extraW) => {
    const [n, h, w, c] = shape;
    const [oh, ow] = [h + top + extraH, w + left + extraW];
    const x = randn(n * h * w * c, h * 17 + w);
    const heap = kernels().heap;
    const [xp, out] = [heap.allocF32(x.length), heap.allocF32(n * oh * ow * c)];
    xp.view().set(x);
    out.view().fill(NaN); // every value must be written
    (kernels().exports as unknown as { pad_rows: RowCopy }).pad_rows(xp.ptr, out.ptr, n, h, w, c, top, left, oh, ow);
    const want = Float32Array.from({ length: out.length }, (_, i) => {
      const ch = i % c, xx = Math.floor(i / c) % ow, y = Math.floor(i / (c * ow)) % oh, b = Math.floor(i / (c * ow * oh));
      return at(x, shape, b, y - top, xx - left, ch);
    });
    expect(out.view()).toEqual(want);
    xp.free();
    out.free();
  });
});

describe("Slice and PadV2 on wasm", () => {
  it("are byol-ts' kernels", () => {
    expect(tf.getKernel("Slice", "wasm")?.kernelFunc).toBe(sliceConfig.kernelFunc);
    expect(tf.getKernel("PadV2", "wasm")?.kernelFunc).toBe(padV2Config.kernelFunc);
  });

  /** `f` on wasm and on cpu: the values of each, which must be equal bit for bit. */
  const onBoth = async (f: () => tf.Tensor) => {
    const run = () => tf.tidy(f).data().then((d) => Array.from(d));
    const wasm = await run();
    await setBackend("cpu");
    const cpu = await run();
    await setBackend("wasm");
    return [wasm, cpu];
  };
  const x = (shape: number[], dtype: "float32" | "int32" = "float32") =>
    tf.tensor(dtype === "int32" ? Int32Array.from(randn(shape.reduce((a, b) => a * b), 3), (v) => Math.round(10 * v)) : randn(shape.reduce((a, b) => a * b), 3), shape, dtype);

  it.each([
    [[64, 16, 16, 16], [0, 1, 1, 0], [64, 14, 14, 16]], // the gradient of a stride-2 convolution's padding
    [[2, 5, 6, 3], [0, 2, 0, 0], [-1, -1, 4, -1]],
    [[2, 5, 6, 3], [1, 0, 0, 0], [1, 5, 6, 3]], // a slice of the batch: tfjs-wasm's
    [[2, 5, 6, 3], [0, 1, 1, 1], [2, 2, 2, 2]], // of the channels: tfjs-wasm's
    [[4, 6, 3], [1, 1, 0], [2, 3, 3]], // rank 3: tfjs-wasm's
  ])("slice of %j at %j, size %j", async (shape, begin, size) => {
    const [wasm, cpu] = await onBoth(() => tf.slice(x(shape), begin, size));
    expect(wasm).toEqual(cpu);
  });

  it("slice of an int32 tensor (tfjs-wasm's)", async () => {
    const [wasm, cpu] = await onBoth(() => tf.slice(x([2, 4, 4, 2], "int32"), [0, 1, 1, 0], [2, 2, 2, 2]));
    expect(wasm).toEqual(cpu);
  });

  it.each([
    [[64, 14, 14, 16], [[0, 0], [1, 1], [1, 1], [0, 0]], 0],
    [[2, 5, 6, 3], [[0, 0], [0, 2], [3, 0], [0, 0]], 0],
    [[2, 5, 6, 3], [[0, 0], [1, 1], [1, 1], [0, 0]], 2], // another constant: tfjs-wasm's
    [[2, 5, 6, 3], [[0, 0], [0, 0], [0, 0], [1, 2]], 0], // the channels: tfjs-wasm's
  ] as Array<[number[], Array<[number, number]>, number]>)("pad of %j by %j with %i", async (shape, paddings, value) => {
    const [wasm, cpu] = await onBoth(() => tf.pad(x(shape), paddings, value));
    expect(wasm).toEqual(cpu);
  });

  it("the pad's gradient (a crop)", async () => {
    const shape = [3, 8, 8, 4];
    const dy = randn(3 * 10 * 10 * 4, 8);
    const [wasm, cpu] = await onBoth(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.pad(a as tf.Tensor4D, [[0, 0], [1, 1], [1, 1], [0, 0]]), tf.tensor(dy, [3, 10, 10, 4]))))(x(shape)));
    expect(wasm).toEqual(cpu);
  });
});
