// BatchNorm with PyTorch's training-mode semantics, as a tfjs layer.
//
// tfjs-layers' BatchNormalization differs from torch.nn.BatchNorm{1,2}d in training mode: it moves
// the running variance towards the *biased* batch variance, PyTorch towards the unbiased one
// (× n/(n−1)) while normalizing with the biased one. So byol-ts has its own layer, with a
// closed-form backward pass.
import * as tf from "../tf";
import { BATCH_NORM_GRAD, BATCH_NORM_TRAIN } from "../../bindings/tfjs-wasm/batchnorm";

/** Options of {@link BatchNorm}. Channels are the last axis (NHWC images, or [N, C] features). */
export interface BatchNormArgs {
  /** Layer name: the torchvision module name (`bn1`, `layer1.0.bn2`, `1`). */
  name?: string;
  /**
   * tfjs convention: `running = momentum·running + (1 − momentum)·batch`. Default 0.9, which is
   * PyTorch's `momentum=0.1`.
   */
  momentum?: number;
  /** Added to the variance before the square root; default 1e-5 as in PyTorch. */
  epsilon?: number;
  /** Learn a shift (PyTorch `bias`); default true. `center` and `scale` false = `affine=False`. */
  center?: boolean;
  /** Learn a scale (PyTorch `weight`); default true. */
  scale?: boolean;
  /** Start γ at 0 instead of 1 (a residual branch's last BN under `zero_init_residual`). */
  zeroGamma?: boolean;
  /** false freezes γ and β (the running statistics are never trainable). */
  trainable?: boolean;
}

type Kwargs = { training?: boolean };

/**
 * torch.nn.BatchNorm1d / BatchNorm2d over the last axis. `apply(x, {training: true})` normalizes
 * with the batch statistics (biased variance) and updates the running statistics with the
 * unbiased variance, exactly as PyTorch; otherwise it uses the running statistics. Training mode
 * with one value per channel throws, as in PyTorch. Weights: `gamma`, `beta` (when enabled),
 * `moving_mean`, `moving_variance`.
 */
export class BatchNorm extends tf.layers.Layer {
  /** Serialization name (registered, so tfjs model files holding this layer load). */
  static className = "TorchBatchNorm";
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly zeroGamma: boolean;
  private gamma: tf.LayerVariable | null = null;
  private beta: tf.LayerVariable | null = null;
  private movingMean!: tf.LayerVariable;
  private movingVariance!: tf.LayerVariable;

  constructor(args: BatchNormArgs = {}) {
    super(args);
    this.momentum = args.momentum ?? 0.9;
    this.epsilon = args.epsilon ?? 1e-5;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.zeroGamma = args.zeroGamma ?? false;
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new Error(`BatchNorm '${this.name}': momentum ${this.momentum} is not in [0, 1]`);
    if (!(this.epsilon > 0)) throw new Error(`BatchNorm '${this.name}': epsilon ${this.epsilon} must be positive`);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[shape.length - 1];
    if (channels == null || shape.length < 2) {
      throw new Error(`BatchNorm '${this.name}': needs a known last (channel) axis and a batch axis, got input shape [${shape}]`);
    }
    const c = [channels];
    if (this.scale) this.gamma = this.addWeight("gamma", c, "float32", this.zeroGamma ? tf.initializers.zeros() : tf.initializers.ones(), undefined, true);
    if (this.center) this.beta = this.addWeight("beta", c, "float32", tf.initializers.zeros(), undefined, true);
    this.movingMean = this.addWeight("moving_mean", c, "float32", tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight("moving_variance", c, "float32", tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const gamma = this.gamma?.read() ?? null;
      const beta = this.beta?.read() ?? null;
      if (!kwargs.training) return this.inference(x, gamma, beta);
      const perChannel = x.size / x.shape[x.rank - 1];
      if (perChannel <= 1) {
        throw new Error(
          `BatchNorm '${this.name}': training mode needs more than 1 value per channel, got input shape [${x.shape}] ` +
            `(PyTorch raises too); use a batch of at least 2, or run with training: false`,
        );
      }
      return normalizeBatch(x, gamma, beta, this.epsilon, (mean, variance) => this.updateRunning(mean, variance, perChannel));
    });
  }

  /** y = x·s + t with s = γ/√(running_var + ε), t = β − running_mean·s (differentiable at any rank). */
  private inference(x: tf.Tensor, gamma: tf.Tensor | null, beta: tf.Tensor | null): tf.Tensor {
    let s: tf.Tensor = tf.rsqrt(tf.add(this.movingVariance.read(), this.epsilon));
    if (gamma) s = tf.mul(s, gamma);
    let t: tf.Tensor = tf.neg(tf.mul(this.movingMean.read(), s));
    if (beta) t = tf.add(t, beta);
    return tf.add(tf.mul(x, s), t);
  }

  /** PyTorch: running ← (1 − m)·running + m·batch, with the unbiased variance (n/(n−1)). */
  private updateRunning(mean: tf.Tensor, variance: tf.Tensor, n: number): void {
    const keep = this.momentum;
    tf.tidy(() => {
      this.movingMean.write(tf.add(tf.mul(this.movingMean.read(), keep), tf.mul(mean, 1 - keep)));
      const unbiased = tf.mul(variance, n / (n - 1));
      this.movingVariance.write(tf.add(tf.mul(this.movingVariance.read(), keep), tf.mul(unbiased, 1 - keep)));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon, center: this.center, scale: this.scale, zeroGamma: this.zeroGamma };
  }
}
tf.serialization.registerClass(BatchNorm);

/**
 * Training-mode batch normalization over all axes but the last, with a closed-form gradient.
 * With xc = x − μ, r = 1/√(σ² + ε), s = γ·r: y = xc·s + β, dβ = Σdy, dγ = r·Σdy·xc,
 * dx = s·dy − (s·r·dγ/n)·xc − s·dβ/n. `onStats` receives the batch mean and biased variance
 * (for the running statistics; not part of the gradient). On wasm with byol-ts' kernels
 * registered, forward and gradient are one kernel call each; elsewhere broadcast mul/add rather
 * than tf.batchNorm, whose wasm kernel is ~2× slower than the two.
 */
export function normalizeBatch(
  x: tf.Tensor,
  gamma: tf.Tensor | null,
  beta: tf.Tensor | null,
  epsilon: number,
  onStats?: (mean: tf.Tensor, variance: tf.Tensor) => void,
): tf.Tensor {
  const inputs = [x, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
  const kernel = x.dtype === "float32" && tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend()) && tf.getKernel(BATCH_NORM_GRAD, tf.getBackend());
  const f = tf.customGrad((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    return kernel ? normalizeByKernel(x, gamma, beta, epsilon, save, onStats) : normalizeByOps(x, gamma, beta, epsilon, save, onStats);
  });
  return f(...inputs);
}

type Normalized = { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] };
type OnStats = ((mean: tf.Tensor, variance: tf.Tensor) => void) | undefined;

function normalizeByKernel(x: tf.Tensor, gamma: tf.Tensor | null, beta: tf.Tensor | null, epsilon: number, save: tf.GradSaveFunc, onStats: OnStats): Normalized {
  const named = (t: Record<string, tf.Tensor | null>) => Object.fromEntries(Object.entries(t).filter(([, v]) => v)) as tf.NamedTensorMap;
  const [value, mean, variance, invstd] = tf.engine().runKernel(BATCH_NORM_TRAIN, named({ x, gamma, beta }), { epsilon }) as tf.Tensor[];
  onStats?.(mean, variance);
  variance.dispose();
  save([x, mean, invstd, ...(gamma ? [gamma] : [])]);
  const gradFunc = (dy: tf.Tensor, [sx, smean, sinvstd, sgamma]: tf.Tensor[]) => {
    const [dx, dGamma, dBeta] = tf.engine().runKernel(BATCH_NORM_GRAD, named({ dy, x: sx, mean: smean, invstd: sinvstd, gamma: sgamma ?? null }), {}) as tf.Tensor[];
    if (!gamma) dGamma.dispose();
    if (!beta) dBeta.dispose();
    return [dx, ...(gamma ? [dGamma] : []), ...(beta ? [dBeta] : [])];
  };
  return { value, gradFunc };
}

function normalizeByOps(x: tf.Tensor, gamma: tf.Tensor | null, beta: tf.Tensor | null, epsilon: number, save: tf.GradSaveFunc, onStats: OnStats): Normalized {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const n = x.size / x.shape[x.rank - 1];
  const mean = tf.mean(x, axes);
  const xc = tf.sub(x, mean);
  const variance = tf.mean(tf.square(xc), axes);
  onStats?.(mean, variance);
  const r = tf.rsqrt(tf.add(variance, epsilon));
  const s = gamma ? tf.mul(gamma, r) : r;
  const value = beta ? tf.add(tf.mul(xc, s), beta) : tf.mul(xc, s);
  save([xc, r, s]);
  const gradFunc = (dy: tf.Tensor, [sxc, sr, ss]: tf.Tensor[]) => {
    const dBeta = tf.sum(dy, axes);
    const dGamma = tf.mul(tf.sum(tf.mul(dy, sxc), axes), sr);
    const k = tf.neg(tf.mul(tf.mul(ss, sr), tf.div(dGamma, n)));
    const b = tf.neg(tf.mul(ss, tf.div(dBeta, n)));
    const dx = tf.add(tf.add(tf.mul(dy, ss), tf.mul(sxc, k)), b);
    return [dx, ...(gamma ? [dGamma] : []), ...(beta ? [dBeta] : [])];
  };
  return { value, gradFunc };
}
