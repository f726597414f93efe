// VICReg (Bardes, Ponce & LeCun 2022): no target, no predictor. The expander's outputs of two views
// are pulled together (invariance), each dimension is kept spread over the batch (variance) and
// decorrelated from the others (covariance); the last two terms alone prevent collapse. The loss is
// plain tfjs ops, so its gradient is tfjs' autodiff.
import * as tf from "../tf";
import type { MethodName } from "../learner";
import { vicregExpander } from "../nets/mlp";
import { OnlineEncoder } from "../online-encoder";
import type { Param } from "../train/optimizers";
import { commonSettings, paramsOf, TwoViewLearner, type LearnerCommon, type LearnerOptions, type LossTerms } from "../two-view-learner";

/** The weights of VICReg's three terms and the variance hinge's constants. */
export interface VICRegWeights {
  /** λ, the invariance (mean squared error) weight (25). */
  invariance: number;
  /** μ, the variance hinge's weight (25). */
  variance: number;
  /** ν, the covariance weight (1). */
  covariance: number;
  /** γ, the std each dimension is pushed up to (1). */
  gamma: number;
  /** ε inside the square root, keeping its gradient finite at zero variance (1e-4). */
  epsilon: number;
}

/** The paper's weights (section 4.1 and its code). */
const VICREG_PAPER: VICRegWeights = { invariance: 25, variance: 25, covariance: 1, gamma: 1, epsilon: 1e-4 };

/**
 * The variance and covariance terms of one branch `z` [N, D]: mean over dimensions of
 * relu(γ − √(var + ε)), and the squared off-diagonal entries of the covariance matrix summed, over D
 * (both with the unbiased variance, as torch's `var` and `cov / (N − 1)`).
 */
function spreadTerms(z: tf.Tensor2D, w: VICRegWeights): [tf.Scalar, tf.Scalar] {
  const [n, d] = z.shape;
  const centered = tf.sub(z, tf.mean(z, 0));
  const variance = tf.div(tf.sum(tf.square(centered), 0), n - 1);
  const hinge = tf.mean(tf.relu(tf.sub(w.gamma, tf.sqrt(tf.add(variance, w.epsilon)))));
  const cov = tf.div(tf.matMul(centered, centered, true, false), n - 1);
  // the diagonal of cov is the variance: Σ off-diagonal² = Σ all² − Σ diagonal², without a D×D mask
  const offDiagonal = tf.div(tf.sub(tf.sum(tf.square(cov)), tf.sum(tf.square(variance))), d);
  return [hinge as tf.Scalar, offDiagonal as tf.Scalar];
}

/**
 * VICReg's loss of the expanded views `za`, `zb` [N, D] (N ≥ 2): λ·MSE(za, zb) + μ·(v(za) + v(zb))/2
 * + ν·(c(za) + c(zb)), the paper's and its code's definition.
 */
export function vicregLoss(za: tf.Tensor2D, zb: tf.Tensor2D, weights: VICRegWeights = VICREG_PAPER): tf.Scalar {
  if (za.rank !== 2 || !tf.util.arraysEqual(za.shape, zb.shape)) throw new Error(`vicregLoss: za [${za.shape}] and zb [${zb.shape}] must be the same [N, D]`);
  if (za.shape[0] < 2) throw new Error(`vicregLoss: the variance over a batch of ${za.shape[0]} is undefined; give at least 2 rows`);
  return tf.tidy(() => {
    const invariance = tf.mean(tf.squaredDifference(za, zb));
    const [va, ca] = spreadTerms(za, weights);
    const [vb, cb] = spreadTerms(zb, weights);
    return tf.addN([
      tf.mul(weights.invariance, invariance),
      tf.mul(weights.variance / 2, tf.add(va, vb)),
      tf.mul(weights.covariance, tf.add(ca, cb)),
    ]) as tf.Scalar;
  });
}

/** Options of {@link VICReg.create}. */
export interface VICRegOptions extends LearnerOptions {
  /** Output size of the expander, what the variance and covariance act on (8192). */
  projectionSize?: number;
  /** Hidden size of the expander (8192). */
  projectionHiddenSize?: number;
  /** The terms' weights (default the paper's). */
  weights?: Partial<VICRegWeights>;
}

/** VICReg's settings: {@link VICRegOptions} with their defaults. */
export type VICRegSettings = LearnerCommon & { projectionSize: number; projectionHiddenSize: number; weights: VICRegWeights };

/** The VICReg learner: encoder → expander on both views, {@link vicregLoss}, nothing after the update. */
export class VICReg extends TwoViewLearner {
  declare readonly options: VICRegSettings;
  readonly method: MethodName = "vicreg";
  readonly parameters: readonly Param[];
  readonly models: ReadonlyArray<readonly [string, tf.LayersModel]>;

  private constructor(o: VICRegSettings, encoder: OnlineEncoder, readonly expander: tf.LayersModel) {
    super(o, encoder);
    this.parameters = [...(this.onlineEncoder ? paramsOf("encoder", this.onlineEncoder) : []), ...paramsOf("expander", expander)];
    this.models = [...(this.onlineEncoder ? [["encoder", this.onlineEncoder] as const] : []), ["expander", expander] as const];
  }

  /** The expander: what `embed({ projection: true })` returns. */
  protected get projector(): tf.LayersModel {
    return this.expander;
  }

  /** Builds the expander on `options.encoder`'s tap. */
  static async create(options: VICRegOptions): Promise<VICReg> {
    const o: VICRegSettings = {
      ...commonSettings(options),
      projectionSize: options.projectionSize ?? 8192,
      projectionHiddenSize: options.projectionHiddenSize ?? 8192,
      weights: { ...VICREG_PAPER, ...options.weights },
    };
    for (const [k, v] of Object.entries(o.weights)) {
      if (!(v >= 0 && Number.isFinite(v))) throw new Error(`VICReg weights.${k} must be a number ≥ 0, got ${v}`);
    }
    const encoder = OnlineEncoder.create(options.encoder, o);
    const expander = vicregExpander({ inputSize: encoder.tapSize, hiddenSize: o.projectionHiddenSize, outputSize: o.projectionSize, name: "expander", seed: o.seed * 2 + 1 });
    return new VICReg(o, encoder, expander);
  }

  protected loss(view1: tf.Tensor4D, view2: tf.Tensor4D): LossTerms {
    const expand = (x: tf.Tensor) => this.expander.apply(this.encode(x, true), { training: true }) as tf.Tensor2D;
    const [z1, z2] = [expand(view1), expand(view2)];
    return { loss: vicregLoss(z1, z2, this.options.weights), z1, z2 };
  }

  /** Frees the expander (not the caller's encoder). */
  dispose(): void {
    this.expander.dispose();
  }
}
