// The online encoder every method trains: the caller's encoder tapped where the projector reads
// (`hiddenLayer`), its other taps for evaluation (`representation`, `gridG`), and the embedding of
// image sets in eval mode — shared so that every method is embedded and evaluated the same way.
import * as tf from "./tf";
import { imageRange, type AnyImageSet } from "./data/any-images";
import type { EmbedOptions } from "./learner";
import { encoderOutputSize, representationModel, type EncoderFn } from "./nets/tap";

/** A forward pass `x → features` in training or eval mode. */
export type Forward = (x: tf.Tensor, training: boolean) => tf.Tensor2D;

/** The forward pass of a model. */
export const modelForward = (m: tf.LayersModel): Forward => (x, training) => m.apply(x, { training }) as tf.Tensor2D;

/** Where the encoder is tapped and what it takes. */
export interface EncoderSettings {
  imageSize: number;
  channels: number;
  /** The layer the projector reads (default: the encoder's own [N, F] output). */
  hiddenLayer?: string | number;
  /** The layer `embed` returns when no tap is given, if not `hiddenLayer`. */
  representation?: string;
}

/** Whether `layer` (none given, or the projector's own `hiddenLayer`) is what the projector reads. */
function isTap(o: EncoderSettings, layer: string | undefined): boolean {
  return layer === undefined || layer === o.hiddenLayer;
}

/** The online encoder at its taps: what the projector reads, and what `embed` returns. */
export class OnlineEncoder {
  /** Representation taps built so far, by name (they share the caller's layers). */
  private readonly taps = new Map<string, tf.LayersModel>();
  /** Size of the representation `embed` returns by default. */
  readonly representationSize: number;

  private constructor(
    private readonly settings: EncoderSettings,
    /** The caller's whole encoder (the taps read its layers); null for a function. */
    private readonly whole: tf.LayersModel | null,
    /** The encoder tapped at `hiddenLayer` (null for a function). */
    readonly model: tf.LayersModel | null,
    readonly encode: Forward,
    /** Size of the tap the projector reads. */
    readonly tapSize: number,
    representationNet: tf.LayersModel | null,
  ) {
    if (representationNet) this.taps.set(settings.representation!, representationNet);
    this.representationSize = representationNet ? encoderOutputSize(representationNet) : tapSize;
  }

  /** Taps `encoder` (a LayersModel, or a function `(x, training) → features`); checks its input and representation. */
  static create(encoder: tf.LayersModel | EncoderFn, o: EncoderSettings): OnlineEncoder {
    let model: tf.LayersModel | null = null;
    let encode: Forward;
    let tapSize: number;
    if (typeof encoder === "function") {
      const fn = encoder as (x: tf.Tensor, training: boolean) => tf.Tensor;
      encode = (x, training) => fn(x, training) as tf.Tensor2D;
      tapSize = encoderOutputSize(encoder, [o.imageSize, o.imageSize, o.channels]);
    } else if (encoder instanceof tf.LayersModel) {
      const inShape = encoder.inputs[0].shape;
      const [h, w, c] = inShape.slice(1);
      if ((h !== null && h !== o.imageSize) || (w !== null && w !== o.imageSize) || c !== o.channels) {
        throw new Error(`encoder input is [${inShape}] but imageSize ${o.imageSize} and channels ${o.channels} were given`);
      }
      model = o.hiddenLayer === undefined ? encoder : representationModel(encoder, o.hiddenLayer);
      encode = modelForward(model);
      tapSize = encoderOutputSize(model);
    } else {
      throw new Error("encoder must be a tfjs LayersModel or a function (x, training) => features");
    }
    // a representation the encoder cannot give fails here, before anything is allocated
    let representationNet: tf.LayersModel | null = null;
    if (!isTap(o, o.representation)) {
      if (!(encoder instanceof tf.LayersModel)) throw new Error(`representation '${o.representation}' needs a LayersModel encoder; this learner's encoder is a function`);
      try {
        representationNet = representationModel(encoder, o.representation!);
      } catch (e) {
        throw new Error(`representation: ${(e as Error).message}`);
      }
    }
    return new OnlineEncoder(o, encoder instanceof tf.LayersModel ? encoder : null, model, encode, tapSize, representationNet);
  }

  /** The encoder as a model whose output is `tap` (default: the representation); null for a function encoder's own output. */
  at(tap = this.settings.representation): tf.LayersModel | null {
    return isTap(this.settings, tap) ? this.model : this.tapModel(tap!);
  }

  /** The encoder tapped at `tap` (built once per name). */
  private tapModel(tap: string): tf.LayersModel {
    if (!this.whole) throw new Error(`embed: tap '${tap}' needs a LayersModel encoder; this learner's encoder is a function`);
    let m = this.taps.get(tap);
    if (!m) this.taps.set(tap, (m = representationModel(this.whole, tap)));
    return m;
  }

  /**
   * The representation (and `projector`'s projection of the tap), in eval mode, in batches: of
   * normalized float images [N, H, W, C], or of a uint8 image set normalized with
   * `normalization` and resized to the encoder's input size — a streamed set read a batch at a
   * time. Float32Arrays [N, F] (and [N, P]).
   */
  async embed(images: tf.Tensor4D | AnyImageSet, options: EmbedOptions, projector: tf.LayersModel): Promise<{ representation: Float32Array; projection?: Float32Array }> {
    const set = images instanceof tf.Tensor ? null : images;
    const n = set ? set.n : (images as tf.Tensor4D).shape[0];
    if (set && set.channels !== this.settings.channels) throw new Error(`embed: the images have ${set.channels} channel(s), the learner expects ${this.settings.channels}`);
    if (set && !options.normalization) throw new Error("embed: uint8 images need normalization {mean, std} (the training policy's)");
    const { mean, std } = options.normalization ?? { mean: [0], std: [1] };
    const bs = options.batchSize ?? 256;
    const size = this.settings.imageSize;
    const tap = options.tap ?? this.settings.representation;
    const tapped = isTap(this.settings, tap) ? null : this.tapModel(tap!);
    const encode = tapped ? modelForward(tapped) : this.encode;
    const width = tapped ? encoderOutputSize(tapped) : this.tapSize;
    const projectionSize = encoderOutputSize(projector);
    const rep = new Float32Array(n * width);
    const proj = options.projection ? new Float32Array(n * projectionSize) : undefined;
    const per = set ? set.height * set.width * set.channels : 0;
    const batch = set && !("images" in set) ? new Uint8Array(Math.min(n, bs) * per) : new Uint8Array(0);
    for (let s = 0; s < n; s += bs) {
      const e = Math.min(n, s + bs);
      const [y, z] = tf.tidy((): tf.Tensor2D[] => {
        let x: tf.Tensor4D;
        if (set) {
          const u8 = tf.tensor4d(imageRange(set, s, e, batch), [e - s, set.height, set.width, set.channels], "int32");
          x = tf.div(tf.sub(tf.div(u8, 255), tf.tensor1d(mean)), tf.tensor1d(std));
          if (set.height !== size || set.width !== size) x = tf.image.resizeBilinear(x, [size, size]);
        } else x = tf.slice(images as tf.Tensor4D, [s, 0, 0, 0], [e - s, -1, -1, -1]);
        const y = encode(x, false);
        return proj ? [y, projector.apply(tapped ? this.encode(x, false) : y, { training: false }) as tf.Tensor2D] : [y];
      });
      rep.set(await y.data(), s * width);
      if (z && proj) proj.set(await z.data(), s * projectionSize);
      tf.dispose(z ? [y, z] : [y]);
    }
    return { representation: rep, projection: proj };
  }
}
