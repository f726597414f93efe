// The BYOL learner (Grill et al. 2020): an online network (encoder → projector → predictor) learns
// to predict a target network's projection of another view of the same image; the target
// (encoder' → projector') is an exponential moving average of the online weights.
import * as tf from "./tf";
import { initKernels, kernelBuild } from "../bindings/loader";
import { blendTargets } from "./ema";
import type { MethodName } from "./learner";
import { byolLossTensor, stopGradient } from "./loss";
import { mlpHead, simsiamProjector } from "./nets/mlp";
import { modelForward, OnlineEncoder, type Forward } from "./online-encoder";
import type { Param } from "./train/optimizers";
import { commonSettings, paramsOf, TwoViewLearner, type LearnerCommon, type LearnerOptions, type LossTerms } from "./two-view-learner";

/** Options of {@link BYOL.create}, named as in byol-pytorch where they exist there. */
export interface BYOLOptions extends LearnerOptions {
  /** Output size of projector and predictor (256). */
  projectionSize?: number;
  /** Hidden size of projector and predictor (4096). */
  projectionHiddenSize?: number;
  /** false ⇒ SimSiam: the target is the online network with stop-gradient (default true). */
  useMomentum?: boolean;
  /**
   * The predictor's learning rate as a multiple of the others' (1). A faster predictor tracks the
   * optimal predictor sooner, which speeds short runs (Tian et al. 2021, DirectPred; BYOL's appendix).
   */
  predictorLearningRateScale?: number;
  /** Loss implementation: our kernel (`'kernel'`), tfjs ops (`'tfjs'`), or `'auto'` by backend. */
  lossImpl?: "kernel" | "tfjs" | "auto";
}

/** BYOL's settings: {@link BYOLOptions} with their defaults. */
export type BYOLSettings = LearnerCommon & Required<Pick<BYOLOptions, "projectionSize" | "projectionHiddenSize" | "useMomentum" | "predictorLearningRateScale" | "lossImpl">>;

/** Named weights of the learner, grouped as in the paper. */
export interface LearnerNetworks {
  online: { encoder: tf.LayersModel | null; projector: tf.LayersModel };
  target: { encoder: tf.LayersModel; projector: tf.LayersModel } | null;
  predictor: tf.LayersModel;
}


/** A structural copy of a model with the same weights (the target network). */
async function cloneModel(model: tf.LayersModel, name: string): Promise<tf.LayersModel> {
  const topology = model.toJSON(undefined, false) as tf.io.ModelJSON["modelTopology"];
  const copy = await tf.models.modelFromJSON({ modelTopology: topology as tf.io.ModelJSON["modelTopology"] } as tf.io.ModelJSON);
  copy.setWeights(model.getWeights());
  (copy as { name: string }).name = name;
  return copy;
}

/**
 * The learner. Create with {@link BYOL.create} and train it with a {@link Trainer}, which gives each
 * update's τ. Dispose when done.
 */
export class BYOL extends TwoViewLearner {
  declare readonly options: BYOLSettings;
  /** `byol`, or `simsiam` without momentum. */
  readonly method: MethodName;
  override readonly hasTarget: boolean;
  readonly onlineProjector: tf.LayersModel;
  readonly predictor: tf.LayersModel;
  /** Target encoder and projector (null in SimSiam mode). */
  readonly targetEncoder: tf.LayersModel | null;
  readonly targetProjector: tf.LayersModel | null;
  /** The trainable parameters the optimizer updates (online encoder, projector, predictor). */
  readonly parameters: readonly Param[];
  readonly models: ReadonlyArray<readonly [string, tf.LayersModel]>;
  private readonly emaPairs: Array<[tf.Variable, tf.Variable]>;

  private constructor(o: BYOLSettings, encoder: OnlineEncoder, heads: { onlineProjector: tf.LayersModel; predictor: tf.LayersModel; targetEncoder: tf.LayersModel | null; targetProjector: tf.LayersModel | null }) {
    super(o, encoder);
    this.method = o.useMomentum ? "byol" : "simsiam";
    this.hasTarget = o.useMomentum;
    this.onlineProjector = heads.onlineProjector;
    this.predictor = heads.predictor;
    this.targetEncoder = heads.targetEncoder;
    this.targetProjector = heads.targetProjector;
    this.parameters = [
      ...(this.onlineEncoder ? paramsOf("online.encoder", this.onlineEncoder) : []),
      ...paramsOf("online.projector", this.onlineProjector),
      ...paramsOf("predictor", this.predictor, o.predictorLearningRateScale),
    ];
    const n = this.networks;
    this.models = [
      ...(n.online.encoder ? [["online.encoder", n.online.encoder] as const] : []),
      ["online.projector", n.online.projector],
      ["predictor", n.predictor],
      ...(n.target ? [["target.encoder", n.target.encoder], ["target.projector", n.target.projector]] as const : []),
    ];
    this.emaPairs = [];
    if (this.targetEncoder && this.onlineEncoder && this.targetProjector) {
      const pair = (t: tf.LayersModel, s: tf.LayersModel) =>
        t.trainableWeights.map((w, i) => [w.read() as tf.Variable, s.trainableWeights[i].read() as tf.Variable] as [tf.Variable, tf.Variable]);
      this.emaPairs.push(...pair(this.targetEncoder, this.onlineEncoder), ...pair(this.targetProjector, this.onlineProjector));
    }
  }

  /** The online projector: what `embed({ projection: true })` returns. */
  protected get projector(): tf.LayersModel {
    return this.onlineProjector;
  }

  /** Builds the online heads and the target copy around `options.encoder`. */
  static async create(options: BYOLOptions): Promise<BYOL> {
    const o: BYOLSettings = {
      ...commonSettings(options),
      projectionSize: options.projectionSize ?? 256,
      projectionHiddenSize: options.projectionHiddenSize ?? 4096,
      useMomentum: options.useMomentum ?? true,
      predictorLearningRateScale: options.predictorLearningRateScale ?? 1,
      lossImpl: options.lossImpl ?? "auto",
    };
    if (!(o.predictorLearningRateScale > 0 && Number.isFinite(o.predictorLearningRateScale))) throw new Error(`predictorLearningRateScale must be a positive number, got ${options.predictorLearningRateScale}`);
    if (typeof options.encoder === "function" && o.useMomentum) throw new Error("a function encoder has no weights to copy into a target: use a tfjs LayersModel, or useMomentum: false (SimSiam)");
    // the loss kernel is byol-ts' wasm: the build already loaded (say, one setBackend was told to use), else the best
    if (o.lossImpl !== "tfjs") await initKernels({ build: kernelBuild() ?? "auto" });
    const encoder = OnlineEncoder.create(options.encoder, o);
    const head = (name: string, inputSize: number, simsiam: boolean, seed: number) =>
      (simsiam ? simsiamProjector : mlpHead)({ inputSize, hiddenSize: o.projectionHiddenSize, outputSize: o.projectionSize, name, seed });
    const onlineProjector = head("projector", encoder.tapSize, !o.useMomentum, o.seed * 2 + 1);
    const predictor = head("predictor", o.projectionSize, false, o.seed * 2 + 2);
    let targetEncoder: tf.LayersModel | null = null;
    let targetProjector: tf.LayersModel | null = null;
    if (o.useMomentum && encoder.model) {
      targetEncoder = await cloneModel(encoder.model, "target_encoder");
      targetProjector = await cloneModel(onlineProjector, "target_projector");
    }
    return new BYOL(o, encoder, { onlineProjector, predictor, targetEncoder, targetProjector });
  }

  private lossImpl(): "kernel" | "tfjs" {
    if (this.options.lossImpl !== "auto") return this.options.lossImpl;
    // the kernel needs the predictions on the CPU: it pays where tensors already live there
    return tf.getBackend() === "cpu" || tf.getBackend() === "wasm" ? "kernel" : "tfjs";
  }

  /** Target projections of both views: training-mode BN (its own statistics), no gradient. */
  protected override fixedInputs(view1: tf.Tensor4D, view2: tf.Tensor4D): tf.Tensor2D[] {
    if (!this.targetEncoder || !this.targetProjector) return [];
    return tf.tidy(() => {
      const enc = modelForward(this.targetEncoder!);
      return [this.project(enc, this.targetProjector!, view1), this.project(enc, this.targetProjector!, view2)];
    });
  }

  private project(enc: Forward, proj: tf.LayersModel, x: tf.Tensor): tf.Tensor2D {
    return proj.apply(enc(x, true), { training: true }) as tf.Tensor2D;
  }

  /** The symmetric loss: each view's prediction against the other view's target projection (SimSiam: its stop-gradient online projection). */
  protected loss(view1: tf.Tensor4D, view2: tf.Tensor4D, targets: tf.Tensor2D[]): LossTerms {
    const z1 = this.project(this.encode, this.onlineProjector, view1);
    const z2 = this.project(this.encode, this.onlineProjector, view2);
    const q1 = this.predictor.apply(z1, { training: true }) as tf.Tensor2D;
    const q2 = this.predictor.apply(z2, { training: true }) as tf.Tensor2D;
    const [t1, t2] = targets.length ? targets : [stopGradient(z1), stopGradient(z2)];
    return { loss: byolLossTensor(q1, t2, q2, t1, { impl: this.lossImpl() }), z1, z2 };
  }

  /**
   * After each update, the target's moving average target ← τ·target + (1 − τ)·online over every
   * trainable parameter of encoder and projector (src/ema.ts: one kernel call on wasm, tfjs ops
   * elsewhere); nothing in SimSiam mode. byol-pytorch calls it `update_moving_average`.
   */
  override afterStep(tau: number): void {
    if (!this.hasTarget) return;
    if (!(tau >= 0 && tau <= 1)) throw new Error(`BYOL: the moving average's tau must be in [0, 1], got ${tau}`);
    blendTargets(this.emaPairs, tau);
  }

  /** The networks, grouped as in the paper. */
  get networks(): LearnerNetworks {
    return {
      online: { encoder: this.onlineEncoder, projector: this.onlineProjector },
      target: this.targetEncoder && this.targetProjector ? { encoder: this.targetEncoder, projector: this.targetProjector } : null,
      predictor: this.predictor,
    };
  }

  /** Frees the heads and the target (not the caller's encoder). */
  dispose(): void {
    // the tapped encoders hold no weights of their own: their layers are the caller's encoder's
    for (const m of [this.onlineProjector, this.predictor, this.targetEncoder, this.targetProjector]) m?.dispose();
  }
}
