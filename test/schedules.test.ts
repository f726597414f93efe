import { describe, expect, it } from "vitest";
import { learningRateAt, tauAt } from "../src/train/schedules";

describe("tau schedule", () => {
  it("rises from tau_base to 1 along a half cosine", () => {
    expect(tauAt(0, 1000, 0.99)).toBeCloseTo(0.99, 12);
    expect(tauAt(500, 1000, 0.99)).toBeCloseTo(0.995, 12);
    expect(tauAt(1000, 1000, 0.99)).toBeCloseTo(1, 12);
    expect(tauAt(250, 1000, 0.996)).toBeCloseTo(1 - 0.004 * (Math.cos(Math.PI / 4) + 1) / 2, 12);
  });
  it("is constant when asked, and validates its inputs", () => {
    expect(tauAt(700, 1000, 0.99, "constant")).toBe(0.99);
    expect(() => tauAt(0, 0, 0.99)).toThrow(/total step count/);
    expect(() => tauAt(0, 10, 1.5)).toThrow(/\[0, 1\].*1\.5/);
  });
});

describe("learning-rate schedule", () => {
  it("warms up linearly then decays along a cosine", () => {
    const s = { base: 1, warmupSteps: 10, totalSteps: 110 };
    expect(learningRateAt(0, s)).toBeCloseTo(0.1);
    expect(learningRateAt(9, s)).toBeCloseTo(1);
    expect(learningRateAt(10, s)).toBeCloseTo(1);
    expect(learningRateAt(60, s)).toBeCloseTo(0.5);
    expect(learningRateAt(110, s)).toBeCloseTo(0);
    expect(learningRateAt(5, { base: 0.3 })).toBe(0.3);
  });
});
