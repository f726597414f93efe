// Optimizers over named variables with state we can save and restore exactly (checkpoints):
// Adam (optionally decoupled weight decay), SGD with momentum, and LARS.
import * as tf from "../tf";

/** Which optimizer, and its hyper-parameters. The learning rate is given per step. */
export type OptimizerConfig =
  | { name: "adam"; beta1?: number; beta2?: number; epsilon?: number; weightDecay?: number }
  | { name: "sgd"; momentum?: number; nesterov?: boolean; weightDecay?: number }
  | { name: "lars"; momentum?: number; weightDecay?: number; trustCoefficient?: number };

/** A parameter to optimize: its variable and whether LARS adaptation / weight decay apply. */
export interface Param {
  name: string;
  variable: tf.Variable;
  /** Biases and BatchNorm parameters are excluded from LARS adaptation and weight decay. */
  adapt: boolean;
  /** Multiplies the learning rate for this parameter (1). */
  lrScale?: number;
}

/** Optimizer state: named tensors (one per slot per parameter) plus the step counter. */
export interface OptimizerState {
  step: number;
  slots: Record<string, tf.Tensor>;
}

/** Applies one update per call; slots are created lazily and named `<param>/<slot>`. */
export class Optimizer {
  private readonly slots = new Map<string, tf.Variable>();
  private t = 0;

  constructor(readonly config: OptimizerConfig) {
    const known = ["adam", "sgd", "lars"];
    if (!known.includes(config?.name)) throw new Error(`optimizer must be one of ${known.join(", ")}; got ${JSON.stringify(config?.name)}`);
  }

  /** Number of updates applied so far. */
  get steps(): number {
    return this.t;
  }

  private slot(param: Param, key: string): tf.Variable {
    const name = `${param.name}/${key}`;
    let v = this.slots.get(name);
    if (!v) {
      v = tf.variable(tf.zerosLike(param.variable), false);
      this.slots.set(name, v);
    }
    return v;
  }

  /** Updates every parameter from its gradient with learning rate `baseLr` (times its `lrScale`). */
  apply(params: Param[], grads: tf.Tensor[], baseLr: number): void {
    if (params.length !== grads.length) throw new Error(`optimizer: ${params.length} parameters but ${grads.length} gradients`);
    this.t++;
    const c = this.config;
    tf.tidy(() => {
      params.forEach((p, i) => {
        const lr = baseLr * (p.lrScale ?? 1);
        let g = grads[i];
        const w = p.variable;
        const wd = p.adapt ? c.weightDecay ?? 0 : 0;
        if (c.name === "adam") {
          const b1 = c.beta1 ?? 0.9, b2 = c.beta2 ?? 0.999, eps = c.epsilon ?? 1e-8;
          const m = this.slot(p, "m"), v = this.slot(p, "v");
          m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
          v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2)));
          const mHat = tf.div(m, 1 - b1 ** this.t);
          const vHat = tf.div(v, 1 - b2 ** this.t);
          let update = tf.div(mHat, tf.add(tf.sqrt(vHat), eps));
          if (wd) update = tf.add(update, tf.mul(w, wd)); // decoupled (AdamW)
          w.assign(tf.sub(w, tf.mul(update, lr)));
          return;
        }
        if (wd) g = tf.add(g, tf.mul(w, wd));
        let scale: tf.Scalar | number = lr;
        if (c.name === "lars" && p.adapt) {
          // layer-wise trust ratio η‖w‖/‖g‖, 1 where either norm is 0
          const wn = tf.norm(w), gn = tf.norm(g);
          const ratio = tf.where(tf.logicalAnd(tf.greater(wn, 0), tf.greater(gn, 0)), tf.mul(tf.div(wn, gn), c.trustCoefficient ?? 0.001), tf.onesLike(wn));
          scale = tf.mul(ratio, lr) as tf.Scalar;
        }
        const mom = c.momentum ?? 0.9;
        if (mom === 0) {
          w.assign(tf.sub(w, tf.mul(g, scale)));
          return;
        }
        const buf = this.slot(p, "momentum");
        buf.assign(tf.add(tf.mul(buf, mom), tf.mul(g, scale)));
        const step = c.name === "sgd" && c.nesterov ? tf.add(tf.mul(buf, mom), tf.mul(g, scale)) : buf;
        w.assign(tf.sub(w, step));
      });
    });
  }

  /** The state, as copies the caller owns. */
  getState(): OptimizerState {
    const slots: Record<string, tf.Tensor> = {};
    for (const [k, v] of this.slots) slots[k] = v.clone();
    return { step: this.t, slots };
  }

  /** Restores a state from {@link getState} (tensors are copied, the caller keeps ownership). */
  setState(state: OptimizerState, params: Param[]): void {
    const byName = new Map(params.map((p) => [p.name, p.variable]));
    for (const [k, t] of Object.entries(state.slots)) {
      const pname = k.slice(0, k.lastIndexOf("/"));
      const v = byName.get(pname);
      if (!v) throw new Error(`optimizer state has slot '${k}' for an unknown parameter '${pname}'`);
      if (!tf.util.arraysEqual(v.shape, t.shape)) throw new Error(`optimizer slot '${k}' has shape [${t.shape}], parameter is [${v.shape}]`);
    }
    this.dispose();
    for (const [k, t] of Object.entries(state.slots)) this.slots.set(k, tf.variable(t.clone(), false));
    this.t = state.step;
  }

  /** Frees the slot variables. */
  dispose(): void {
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
  }
}
