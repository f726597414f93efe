// One kernel-thread helper running the same filter gradient over and over while the caller computes
// a convolution of its own, as runConv does; every output is compared with the first. A wrong
// output is a defect of the helper protocol (a helper once ran a call twice when Atomics.wait woke
// it with no new request: bench/RESULTS.md, "Kernel threads and matrix products"). Run several at
// once to load the machine: for i in 1 2 3 4; do npx tsx bench/helper-repeat.ts 200 & done; wait
// Arguments: seconds (60), then "nogrow" to keep the helper's memory at one size.
import { wasmBase64 } from "../bindings/generated/kernels-simd";
import { CONV_KERNELS } from "../bindings/tfjs-wasm/conv";
import { KernelThread } from "../bindings/tfjs-wasm/threads";

const seconds = Number(process.argv[2] ?? 60);
const grow = process.argv[3] !== "nogrow";
const helper = await KernelThread.start(CONV_KERNELS);

// a 3×3/2 convolution of 32 images of 14×14×32 → 64 channels
const g = [32, 14, 14, 32, 7, 7, 64, 3, 3, 2, 2, 0, 0];
const [xLen, wLen, yLen] = [32 * 14 * 14 * 32, 9 * 32 * 64, 32 * 7 * 7 * 64];
const align = (b: number) => (b + 63) & ~63;
const [pa, pb] = [0, align(4 * xLen)];
const po = pb + align(4 * yLen);
const ps = po + align(4 * wLen);
const x = Float32Array.from({ length: xLen }, (_, i) => Math.sin(i * 0.37));
const dy = Float32Array.from({ length: yLen }, (_, i) => Math.cos(i * 0.11));
const hash = (a: Float32Array) => {
  const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < u.length; i++) h = Math.imul(h ^ u[i], 16777619);
  return h >>> 0;
};

// the caller's own work meanwhile: a forward convolution on memory of its own
const own = new WebAssembly.Memory({ initial: 256 });
const mine = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(wasmBase64, "base64")), { env: { memory: own } }).exports as Record<string, (...a: number[]) => number>;
new Float32Array(own.buffer, 0, xLen).set(x);
const [fo, yo, so] = [4 * xLen, 4 * xLen + 4 * 9 * 32 * 64, 4 * xLen + 4 * 9 * 32 * 64 + 4 * yLen];

let first = -1;
let calls = 0;
let wrong = 0;
let rightLater = 0;
let extra = 0;
for (const t0 = Date.now(); Date.now() - t0 < seconds * 1000; calls++) {
  if (grow && calls % 20 === 19) extra += 4 * 65536;
  helper.reserve(ps + mine.conv2d_backprop_filter_scratch(...g) + extra);
  helper.floats(pa, xLen).set(x);
  helper.floats(pb, yLen).set(dy);
  helper.post("conv2d_backprop_filter", [pa, pb, po, ps, ...g]);
  mine.conv2d_forward(0, fo, yo, so, ...g);
  helper.wait();
  const h = hash(helper.floats(po, wLen));
  if (first < 0) first = h;
  else if (h !== first) {
    wrong++;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    if (hash(helper.floats(po, wLen)) === first) rightLater++; // still being written when the caller read it
  }
}
await helper.stop();
console.log(JSON.stringify({ seconds, grow, calls, wrong, rightFiftyMsLater: rightLater, helperMemoryMB: helper.memory.buffer.byteLength >> 20 }));
