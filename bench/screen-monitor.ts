// The kNN monitor of the recipe screens (bench/screen.ts): the CLI's
// subsets — a 10k-image bank from the training set, 2k test queries — k 200, cosine, T 0.1, at
// several taps of the online encoder.
import { heldOutSplit, subset } from "../src/data/batches";
import type { ImageSet, LabelledImageSet } from "../src/data/types";
import { knnAccuracy } from "../src/eval/knn";
import type { Learner } from "../src/learner";

/** Returns a function scoring `learner` at each tap (kNN accuracy, a fraction, by tap name). */
export function screenMonitor(learner: Learner, train: LabelledImageSet, test: LabelledImageSet, options: { seed: number; taps: string[]; normalization: { mean: number[]; std: number[] } }): () => Promise<Record<string, number>> {
  const bank = subset(train, heldOutSplit(train.n, 10_000, options.seed + 1).heldOut) as LabelledImageSet;
  const queries = subset(test, heldOutSplit(test.n, 2_000, options.seed + 2).heldOut) as LabelledImageSet;
  return async () => {
    const out: Record<string, number> = {};
    for (const tap of options.taps) {
      const embed = async (set: ImageSet) => (await learner.embed(set, { normalization: options.normalization, tap })).representation;
      const [b, q] = [await embed(bank), await embed(queries)];
      const width = b.length / bank.n;
      out[tap] = knnAccuracy({ data: b, shape: [bank.n, width] }, bank.labels, { data: q, shape: [queries.n, width] }, queries.labels, { k: 200, temperature: 0.1, numClasses: 10 });
    }
    return out;
  };
}
