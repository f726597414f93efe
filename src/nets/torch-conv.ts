// `nn.Conv2d(c, filters, k, stride, padding=(k−1)/2, bias=False)` as a tfjs layer. tfjs' Conv2D
// pads symmetrically only at stride 1 ('same'; at stride 2 it pads bottom/right only), so a strided
// convolution took a ZeroPadding2D layer before it: a padded copy forward and a crop backward.
// Here the padding is the convolution's own, at any stride. And tf.conv2d's gradient computes the
// input gradient only when something needs it, where tfjs' Conv2D layer (a fused convolution) always
// computes it: the first convolution's, the gradient of the images, was thrown away every step.
import * as tf from "../tf";

type Initializer = ReturnType<typeof tf.initializers.zeros>;

/** Options of {@link TorchConv2d}. */
export interface TorchConv2dArgs {
  name?: string;
  filters: number;
  /** Odd kernel side k; the padding is (k − 1)/2 on every side. */
  kernelSize: number;
  strides: number;
  kernelInitializer?: Initializer;
  trainable?: boolean;
}

/** A square, bias-free NHWC convolution padded as PyTorch pads it. Weight: `kernel` [k, k, in, filters]. */
export class TorchConv2d extends tf.layers.Layer {
  /** Serialization name (registered, so tfjs model files holding this layer load). */
  static className = "TorchConv2d";
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: number;
  private readonly kernelInitializer: Initializer;
  private kernel!: tf.LayerVariable;

  constructor(args: TorchConv2dArgs) {
    super(args);
    const { filters, kernelSize, strides } = args;
    if (!(Number.isInteger(filters) && filters > 0)) throw new Error(`TorchConv2d '${this.name}': filters must be a positive integer, got ${filters}`);
    if (!(Number.isInteger(kernelSize) && kernelSize > 0 && kernelSize % 2 === 1)) {
      throw new Error(`TorchConv2d '${this.name}': kernelSize must be a positive odd integer, got ${kernelSize}`);
    }
    if (!(Number.isInteger(strides) && strides > 0)) throw new Error(`TorchConv2d '${this.name}': strides must be a positive integer, got ${strides}`);
    this.filters = filters;
    this.kernelSize = kernelSize;
    this.strides = strides;
    this.padding = (kernelSize - 1) / 2;
    // a layer read back from a file gets its weights from the file
    this.kernelInitializer = args.kernelInitializer ?? tf.initializers.zeros();
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[3];
    if (shape.length !== 4 || channels == null) throw new Error(`TorchConv2d '${this.name}': needs an NHWC input with known channels, got [${shape}]`);
    const k = this.kernelSize;
    this.kernel = this.addWeight("kernel", [k, k, channels, this.filters], "float32", this.kernelInitializer, undefined, true);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [n, h, w] = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const side = (s: number | null) => (s == null ? null : Math.floor((s + 2 * this.padding - this.kernelSize) / this.strides) + 1);
    return [n, side(h), side(w), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      return tf.conv2d(x, this.kernel.read() as tf.Tensor4D, this.strides, this.padding);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), filters: this.filters, kernelSize: this.kernelSize, strides: this.strides };
  }
}
tf.serialization.registerClass(TorchConv2d);
