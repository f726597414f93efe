// The tfjs API byol-ts uses: tfjs-core and tfjs-layers rather than the @tensorflow/tfjs umbrella,
// which would put the cpu and WebGL backends, the converter and tfjs-data into every app that
// bundles byol-ts. Backends are loaded when chosen (backend.ts).
import "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops";
export * from "@tensorflow/tfjs-core";
export * from "@tensorflow/tfjs-layers";
