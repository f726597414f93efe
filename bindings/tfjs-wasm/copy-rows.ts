// Slice and PadV2 for tfjs-wasm where they crop or zero-pad a float32 NHWC tensor over H and W
// only (the padding before a stride-2 convolution, and its gradient): one copy per row in our
// kernel; every other slice or pad goes to tfjs-wasm's own kernel.
import { PadV2, Slice, slice_util, util, type KernelConfig, type KernelFunc, type TensorInfo } from "@tensorflow/tfjs-core";
import { bridgeFor, type WasmBackendLike } from "./bridge";
import { runOriginal } from "./originals";

type RowCopy = (x: number, out: number, n: number, h: number, w: number, c: number, top: number, left: number, oh: number, ow: number) => void;

interface Exports {
  crop_rows: RowCopy;
  pad_rows: RowCopy;
}

/** Runs `kernel` from x [n, h, w, c] into a new [n, oh, ow, c] with the window at (top, left). */
function copyRows(args: Parameters<KernelFunc>[0], kernel: keyof Exports, x: TensorInfo, top: number, left: number, oh: number, ow: number): TensorInfo {
  const [n, h, w, c] = x.shape;
  const bridge = bridgeFor(args.backend as unknown as WasmBackendLike);
  const out = bridge.output([n, oh, ow, c]);
  (bridge.exports as unknown as Exports)[kernel](bridge.ptr(x), out.ptr, n, h, w, c, top, left, oh, ow);
  return out.info;
}

const nhwc = (x: TensorInfo) => x.dtype === "float32" && x.shape.length === 4 && util.sizeFromShape(x.shape) > 0;

const slice: KernelFunc = (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
  if (!nhwc(x)) return runOriginal(Slice, args);
  const [b, s] = slice_util.parseSliceParams(x as never, begin, size);
  const whole = (axis: number) => b[axis] === 0 && s[axis] === x.shape[axis];
  if (!whole(0) || !whole(3) || s[1] === 0 || s[2] === 0) return runOriginal(Slice, args);
  return copyRows(args, "crop_rows", x, b[1], b[2], s[1], s[2]);
};

const padV2: KernelFunc = (args) => {
  const { x } = args.inputs as { x: TensorInfo };
  const { paddings, constantValue } = args.attrs as unknown as { paddings: Array<[number, number]>; constantValue: number };
  const none = (p: [number, number]) => p[0] === 0 && p[1] === 0;
  if (!nhwc(x) || constantValue !== 0 || !none(paddings[0]) || !none(paddings[3]) || paddings.some((p) => p[0] < 0 || p[1] < 0)) return runOriginal(PadV2, args);
  const [, h, w] = x.shape;
  return copyRows(args, "pad_rows", x, paddings[1][0], paddings[2][0], h + paddings[1][0] + paddings[1][1], w + paddings[2][0] + paddings[2][1]);
};

/** Register with `tf.registerKernel`, wrapping tfjs-wasm's Slice and PadV2. */
export const sliceConfig: KernelConfig = { kernelName: Slice, backendName: "wasm", kernelFunc: slice };
export const padV2Config: KernelConfig = { kernelName: PadV2, backendName: "wasm", kernelFunc: padV2 };
