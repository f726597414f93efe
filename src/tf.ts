// The tfjs API byol-ts uses: tfjs-core and tfjs-layers rather than the @tensorflow/tfjs umbrella,
// which would put the cpu and WebGL backends, the converter and tfjs-data into every app that
// bundles byol-ts. Backends are loaded when chosen (backend.ts). Tensor ops are called as functions
// (tf.mul(a, b), not a.mul(b)): tfjs-core alone registers no chained ops, and its chained-ops
// module cannot be imported in Node.
export * from "@tensorflow/tfjs-core";
export * from "@tensorflow/tfjs-layers";
