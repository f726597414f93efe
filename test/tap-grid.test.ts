// Grid taps: the last feature map (avgpool's input) average-pooled to G×G, against a direct
// computation of the window means; errors for encoders without avgpool or too small maps.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { representationModel } from "../src/nets/tap";
import { smallCnn } from "../src/nets/small-cnn";
import { randn } from "./helpers";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("gridG taps", () => {
  it("pool the last feature map to G×G windows (7 → 3: windows of 3 every 2; 7 → 2: of 4 every 3)", () => {
    const enc = smallCnn({ inputSize: 28, channels: 1, width: 2, seed: 1 });
    const x = tf.tensor4d(randn(2 * 28 * 28, 5), [2, 28, 28, 1]);
    const map = tf.model({ inputs: enc.inputs, outputs: enc.getLayer("avgpool").input as tf.SymbolicTensor }).predict(x) as tf.Tensor4D;
    expect(map.shape).toEqual([2, 7, 7, 8]);
    const m = map.arraySync();
    for (const [g, side, stride] of [[3, 3, 2], [2, 4, 3], [1, 7, 7]]) {
      const got = (representationModel(enc, `grid${g}`).predict(x) as tf.Tensor2D).arraySync();
      expect(got[0]).toHaveLength(g * g * 8);
      for (let n = 0; n < 2; n++)
        for (let i = 0; i < g; i++)
          for (let j = 0; j < g; j++)
            for (let c = 0; c < 8; c++) {
              let sum = 0;
              for (let a = 0; a < side; a++) for (let b = 0; b < side; b++) sum += m[n][i * stride + a][j * stride + b][c];
              expect(got[n][(i * g + j) * 8 + c]).toBeCloseTo(sum / (side * side), 5);
            }
    }
    const pooled = (representationModel(enc, "avgpool").predict(x) as tf.Tensor2D).arraySync();
    const grid1 = (representationModel(enc, "grid1").predict(x) as tf.Tensor2D).arraySync();
    pooled.forEach((row, n) => row.forEach((v, c) => expect(grid1[n][c]).toBeCloseTo(v, 5)));
  });

  it("names what is missing: no avgpool layer, or a map smaller than the grid", () => {
    const input = tf.input({ shape: [4, 4, 1] });
    const plain = tf.model({ inputs: input, outputs: tf.layers.flatten().apply(input) as tf.SymbolicTensor, name: "plain" });
    expect(() => representationModel(plain, "grid2")).toThrow(/'grid2' pools the feature map under 'avgpool', and model 'plain' has no layer 'avgpool'/);
    const tiny = smallCnn({ inputSize: 8, channels: 1, width: 1 }); // 8 → 4 → 2
    expect(() => representationModel(tiny, "grid3")).toThrow(/before 'avgpool' is \[2,2,4\], too small for a 3×3 grid/);
  });
});
