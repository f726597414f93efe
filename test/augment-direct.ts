// The augmentation kernels driven directly, for tests: raw Philox words, and a view made with
// given per-sample parameters instead of drawn ones.
import { encodeParams, encodePolicy, type SampleParams } from "../bindings/augment";
import { kernels } from "../bindings/loader";
import type { Augmenter } from "../src/augment/augmenter";
import { resolveViewPolicy, type ViewPolicy } from "../src/augment/policy";

type RngFill = (out: number, n: number, k0: number, k1: number, c0: number, c1: number, c2: number, c3: number) => void;

/** Raw Philox4x32-10 words (key k0, k1; counters (c0 + i / 4, c1, c2, c3)), for known-answer tests. */
export function philoxWords(n: number, key: readonly [number, number], counter: readonly [number, number, number, number]): Uint32Array {
  const { heap, exports } = kernels();
  const ptr = heap.alloc(n * 4);
  (exports.rng_fill as RngFill)(ptr, n, key[0], key[1], ...counter);
  const out = new Uint32Array(heap.memory.buffer, ptr, n).slice();
  heap.free(ptr);
  return out;
}

/** The images at `indices` of `aug`'s set, augmented with `params` (one per index) under `policy`. */
export function viewWithParams(aug: Augmenter, indices: ArrayLike<number>, params: readonly SampleParams[], policy: ViewPolicy): Float32Array {
  const [oh, ow, c] = aug.outShape;
  const shape = aug.engine.shape!;
  if (params.length !== indices.length) throw new RangeError(`viewWithParams: ${params.length} parameter sets for ${indices.length} indices`);
  const sizes = { channels: c, inHeight: shape.height, inWidth: shape.width, outHeight: oh, outWidth: ow };
  const out = new Float32Array(indices.length * oh * ow * c);
  aug.engine.apply(encodePolicy(resolveViewPolicy("policy", policy, sizes)), encodeParams(params, shape.height, shape.width), indices, oh, ow, out);
  return out;
}
