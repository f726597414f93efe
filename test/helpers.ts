// Shared test utilities: fixture paths, seeded random data, error measures.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { AugmentFn } from "../src/augment/augmenter";
import { uniformGenerator } from "../src/util/random";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** `test/fixtures` (PyTorch outputs, see its README), or BYOL_FIXTURES. */
export const fixturesDir = process.env.BYOL_FIXTURES ?? join(repoRoot, "test", "fixtures");

export function fixturePath(name: string): string {
  const p = join(fixturesDir, name);
  if (!existsSync(p)) throw new Error(`fixture ${p} is missing: tests read test/fixtures (or BYOL_FIXTURES)`);
  return p;
}

/** Deterministic uniform [0, 1) generator for test data (the library's mulberry32). */
export const rng = uniformGenerator;

/** Standard normal samples (Box–Muller) from a seeded generator. */
export function randn(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(r(), 1e-12);
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r()) * scale;
  }
  return out;
}

/** ‖a − b‖ / ‖b‖ (0 when both are zero). */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relL2: length ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

/** An augmentation that gives every batch the same two views (NHWC floats): one step on chosen views, through the Trainer. */
export function givenViews(view1: Float32Array, view2: Float32Array): AugmentFn {
  return () => ({ view1, view2 });
}

