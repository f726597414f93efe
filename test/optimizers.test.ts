import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { Optimizer, type Param } from "../src/train/optimizers";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const param = (name: string, values: number[], adapt = true): Param => ({ name, variable: tf.variable(tf.tensor1d(values)), adapt });

describe("optimizers", () => {
  it("Adam matches the textbook update over several steps", () => {
    const p = param("w", [1, -2]);
    const opt = new Optimizer({ name: "adam" });
    let m = [0, 0], v = [0, 0];
    const w = [1, -2];
    for (let t = 1; t <= 3; t++) {
      const g = [0.5 * t, -0.25];
      opt.apply([p], [tf.tensor1d(g)], 0.1);
      for (let i = 0; i < 2; i++) {
        m[i] = 0.9 * m[i] + 0.1 * g[i];
        v[i] = 0.999 * v[i] + 0.001 * g[i] ** 2;
        w[i] -= (0.1 * (m[i] / (1 - 0.9 ** t))) / (Math.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8);
      }
    }
    const got = p.variable.dataSync();
    expect(got[0]).toBeCloseTo(w[0], 5);
    expect(got[1]).toBeCloseTo(w[1], 5);
    opt.dispose();
  });

  it("a parameter's lrScale multiplies its learning rate (SGD and Adam), others keep the base rate", () => {
    const [a, b] = [param("a", [1, 1]), param("b", [1, 1])];
    a.lrScale = 10;
    new Optimizer({ name: "sgd", momentum: 0 }).apply([a, b], [tf.tensor1d([1, -1]), tf.tensor1d([1, -1])], 0.01);
    expect(Array.from(a.variable.dataSync())).toEqual([Math.fround(0.9), Math.fround(1.1)]);
    expect(Array.from(b.variable.dataSync())).toEqual([Math.fround(0.99), Math.fround(1.01)]);
    const [c, d] = [param("c", [0]), param("d", [0])];
    c.lrScale = 4;
    new Optimizer({ name: "adam" }).apply([c, d], [tf.tensor1d([1]), tf.tensor1d([1])], 0.01); // first Adam step moves by lr
    expect(c.variable.dataSync()[0]).toBeCloseTo(-0.04, 6);
    expect(d.variable.dataSync()[0]).toBeCloseTo(-0.01, 6);
  });

  it("SGD without momentum is w − lr·g; LARS scales adapted params by the trust ratio only", () => {
    const p = param("w", [3, 4]);
    new Optimizer({ name: "sgd", momentum: 0 }).apply([p], [tf.tensor1d([1, 1])], 0.5);
    expect(Array.from(p.variable.dataSync())).toEqual([2.5, 3.5]);

    const a = param("a", [3, 4]); // ‖w‖ = 5
    const b = param("b", [3, 4], false);
    const lars = new Optimizer({ name: "lars", momentum: 0, trustCoefficient: 0.1 });
    lars.apply([a, b], [tf.tensor1d([0, 2]), tf.tensor1d([0, 2])], 1); // ‖g‖ = 2 → ratio 0.25
    expect(Array.from(a.variable.dataSync())).toEqual([3, 3.5]);
    expect(Array.from(b.variable.dataSync())).toEqual([3, 2]);
  });

  it("state round-trips and is checked against the parameters", () => {
    const p = param("w", [1, 2, 3]);
    const opt = new Optimizer({ name: "adam" });
    opt.apply([p], [tf.tensor1d([1, 2, 3])], 0.01);
    const state = opt.getState();
    const twin = new Optimizer({ name: "adam" });
    twin.setState(state, [p]);
    const q = { ...p, variable: tf.variable(p.variable.clone()) };
    opt.apply([p], [tf.tensor1d([1, 1, 1])], 0.01);
    twin.apply([q], [tf.tensor1d([1, 1, 1])], 0.01);
    expect(Array.from(q.variable.dataSync())).toEqual(Array.from(p.variable.dataSync()));
    expect(() => twin.setState(state, [param("other", [1])])).toThrow(/unknown parameter 'w'/);
    expect(() => twin.setState(state, [param("w", [1])])).toThrow(/shape \[3\].*\[1\]/);
    expect(() => new Optimizer({ name: "rmsprop" } as never)).toThrow(/adam, sgd, lars.*rmsprop/);
  });

  it("does not leak tensors", () => {
    const p = param("w", [1, 2]);
    const opt = new Optimizer({ name: "lars" });
    const g = tf.tensor1d([1, 1]);
    opt.apply([p], [g], 0.1);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) opt.apply([p], [g], 0.1);
    expect(tf.memory().numTensors).toBe(before);
  });
});
