// torchvision / PyTorch state dicts ⇄ tfjs LayersModel weights.
//
// A PyTorch name is `<prefix><layer name>.<param>`: tfjs layers carry torchvision's module names
// (`conv1`, `layer2.0.downsample.0`, an MLP head's `0`, `1`, `3`), so the mapping is by layer
// name and weight kind, never by order. Layouts: conv [out,in,kh,kw] ⇄ [kh,kw,in,out], linear
// [out,in] ⇄ [in,out], BatchNorm weight/bias/running_mean/running_var ⇄
// gamma/beta/moving_mean/moving_variance.
import * as tf from "../tf";
import type { SafeTensor } from "./safetensors";

/** Options of {@link loadTorchvisionWeights}. */
export interface LoadTorchvisionOptions {
  /** Prefix of this model's names in the checkpoint, e.g. `'net.'` or `'online.projector.'`. */
  prefix?: string;
  /**
   * Default true: every model weight must be present and no other tensor under `prefix` may be
   * (PyTorch's `strict`). Mis-shaped tensors are errors either way.
   */
  strict?: boolean;
}

/** Options of {@link exportTorchvisionWeights}. */
export interface ExportTorchvisionOptions {
  /** Prepended to every name, e.g. `'encoder.'`. */
  prefix?: string;
}

/** How one tfjs weight appears in a PyTorch state dict. */
interface Mapped {
  torchName: string;
  variable: tf.LayerVariable;
  /** Permutation taking the tfjs layout to PyTorch's (identity for vectors). */
  toTorch: number[];
  layer: string;
}

// tfjs weight kind (the variable name after the last '/') → PyTorch parameter name, per layer class.
const CONV = { kernel: "weight", bias: "bias" };
const BN = { gamma: "weight", beta: "bias", moving_mean: "running_mean", moving_variance: "running_var" };
const PARAMS: Record<string, Record<string, string>> = {
  Conv2D: CONV,
  TorchConv2d: CONV,
  Dense: CONV,
  TorchBatchNorm: BN,
  BatchNormalization: BN,
};
const KERNEL_PERM: Record<string, number[]> = { Conv2D: [3, 2, 0, 1], TorchConv2d: [3, 2, 0, 1], Dense: [1, 0] };

/** Every weight of `model` (nested models flattened with `<name>.`) with its PyTorch name. */
function mapWeights(model: tf.LayersModel, prefix: string): Mapped[] {
  const out: Mapped[] = [];
  const visit = (layers: tf.layers.Layer[], scope: string) => {
    for (const layer of layers) {
      const nested = (layer as unknown as { layers?: tf.layers.Layer[] }).layers;
      if (nested) {
        visit(nested, `${scope}${layer.name}.`);
        continue;
      }
      if (layer.weights.length === 0) continue;
      const cls = layer.getClassName();
      const params = PARAMS[cls];
      if (!params) throw new Error(`layer '${layer.name}' (${cls}) has weights with no torchvision mapping (supported: ${Object.keys(PARAMS).join(", ")})`);
      for (const variable of layer.weights) {
        const kind = variable.originalName.slice(variable.originalName.lastIndexOf("/") + 1);
        const param = params[kind];
        if (!param) throw new Error(`layer '${layer.name}' (${cls}): weight '${variable.originalName}' has no torchvision mapping`);
        const toTorch = kind === "kernel" ? KERNEL_PERM[cls] : [0]; // vectors: identity
        out.push({ torchName: `${scope}${layer.name}.${param}`, variable, toTorch, layer: layer.name });
      }
    }
  };
  visit(model.layers, prefix);
  return out;
}

/** Row-major transpose of `data` with `shape` by `perm` (out axis i = in axis perm[i]). */
function permute(data: Float32Array, shape: number[], perm: number[]): { data: Float32Array; shape: number[] } {
  const outShape = perm.map((p) => shape[p]);
  if (perm.every((p, i) => p === i)) return { data: data.slice(), shape: outShape };
  const inStrides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const stride = perm.map((p) => inStrides[p]);
  const out = new Float32Array(data.length);
  const idx = new Array(outShape.length).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = data[src];
    // odometer over the output index, tracking the input offset
    for (let a = outShape.length - 1; a >= 0; a--) {
      src += stride[a];
      if (++idx[a] < outShape[a]) break;
      src -= stride[a] * outShape[a];
      idx[a] = 0;
    }
  }
  return { data: out, shape: outShape };
}

const inverse = (perm: number[]) => perm.map((_, i) => perm.indexOf(i));
const fmt = (shape: number[]) => `[${shape.join(", ")}]`;

function toFloat32(t: SafeTensor, name: string): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if (t.data instanceof BigInt64Array) throw new Error(`loadTorchvisionWeights: tensor '${name}' is ${t.dtype}, expected floating point`);
  return Float32Array.from(t.data as ArrayLike<number>);
}

/** Explains a conv whose input channels differ (the usual greyscale/RGB mismatch). */
function channelHint(m: Mapped, torchShape: number[], got: number[]): string {
  if (torchShape.length !== 4 || got.length !== 4) return "";
  const same = got[0] === torchShape[0] && got[2] === torchShape[2] && got[3] === torchShape[3];
  if (!same || got[1] === torchShape[1]) return "";
  return ` — checkpoint ${m.layer} expects ${got[1]} input channels, model has ${torchShape[1]}` +
    (m.layer === "conv1" ? ` (build the model with channels: ${got[1]}, or feed ${got[1]}-channel images)` : "");
}

/**
 * Loads a PyTorch state dict (e.g. from {@link readSafetensors}) into `model`, converting names
 * and layouts. `num_batches_tracked` is ignored. Checks everything before writing anything: on a
 * mismatch it throws one error listing all missing, unexpected and mis-shaped tensors (names and
 * both shapes), explaining an input-channel mismatch.
 *
 * To export a torchvision or byol-pytorch checkpoint, in Python:
 * ```python
 * from safetensors.torch import save_file
 * save_file(model.state_dict(), "r18.safetensors")
 * ```
 * (for byol-pytorch's learner, `model = learner.online_encoder.net`). Without the safetensors
 * package, torch alone writes the same format:
 * ```python
 * import json, struct
 * def save_file(sd, path):
 *     h, blobs, off = {}, [], 0
 *     for k, t in sd.items():
 *         b = t.detach().contiguous().float().numpy().tobytes()
 *         h[k] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
 *         blobs.append(b); off += len(b)
 *     j = json.dumps(h).encode(); j += b" " * (-len(j) % 8)
 *     with open(path, "wb") as f: f.write(struct.pack("<Q", len(j)) + j + b"".join(blobs))
 * ```
 * Then `loadTorchvisionWeights(resnet18({ inputSize: 224, numClasses: 1000 }), readSafetensorsFile("r18.safetensors"))`.
 */
export function loadTorchvisionWeights(model: tf.LayersModel, tensors: Record<string, SafeTensor>, options: LoadTorchvisionOptions = {}): void {
  const prefix = options.prefix ?? "";
  const strict = options.strict ?? true;
  const mapped = mapWeights(model, prefix);
  const expected = new Set(mapped.map((m) => m.torchName));
  const missing: string[] = [];
  const misShaped: string[] = [];
  const writes: { m: Mapped; data: Float32Array }[] = [];
  for (const m of mapped) {
    const t = tensors[m.torchName];
    if (!t) {
      missing.push(m.torchName);
      continue;
    }
    const torchShape = m.toTorch.map((p) => m.variable.shape[p] as number);
    if (fmt(t.shape) !== fmt(torchShape)) {
      misShaped.push(`${m.torchName}: checkpoint ${fmt(t.shape)}, model ${fmt(torchShape)}${channelHint(m, torchShape, t.shape)}`);
      continue;
    }
    writes.push({ m, data: permute(toFloat32(t, m.torchName), t.shape, inverse(m.toTorch)).data });
  }
  const unexpected = Object.keys(tensors).filter((k) => k.startsWith(prefix) && !expected.has(k) && !k.endsWith("num_batches_tracked"));
  const problems = [
    ...(misShaped.length ? [`mis-shaped (${misShaped.length}):\n  ${misShaped.join("\n  ")}`] : []),
    ...(strict && missing.length ? [`missing from the checkpoint (${missing.length}): ${missing.join(", ")}`] : []),
    ...(strict && unexpected.length ? [`unexpected in the checkpoint (${unexpected.length}): ${unexpected.join(", ")}`] : []),
  ];
  if (problems.length) {
    throw new Error(`loadTorchvisionWeights into '${model.name}'${prefix ? ` (prefix '${prefix}')` : ""}: ${problems.join("\n")}`);
  }
  tf.tidy(() => {
    for (const { m, data } of writes) m.variable.write(tf.tensor(data, m.variable.shape as number[], "float32"));
  });
}

/**
 * The model's weights as a PyTorch state dict (torchvision names and layouts, F32), ready for
 * {@link writeSafetensors}. In Python: `model.load_state_dict(safetensors.torch.load_file(path))`
 * (PyTorch fills in the absent `num_batches_tracked`).
 */
export function exportTorchvisionWeights(model: tf.LayersModel, options: ExportTorchvisionOptions = {}): Record<string, SafeTensor> {
  const out: Record<string, SafeTensor> = {};
  for (const m of mapWeights(model, options.prefix ?? "")) {
    const value = m.variable.read().dataSync() as Float32Array;
    const t = permute(value, m.variable.shape as number[], m.toTorch);
    out[m.torchName] = { dtype: "F32", shape: t.shape, data: t.data };
  }
  return out;
}
