// byol-ts/eval: scoring and inspecting representations — kNN, linear probe, collapse measures,
// projections to a few dimensions, a similarity index and embedding export.
export { accuracy, knnAccuracy, knnPredict } from "./knn";
export type { KnnOptions } from "./knn";
export type { Features, Labels, Matrix } from "./features";
export { evaluateKnn } from "../train/setup";
export type { KnnEvalOptions } from "../train/setup";
export { fitLinearProbe, linearProbeAccuracy, predictLinearProbe } from "./linear-probe";
export type { LinearProbe, LinearProbeOptions, LinearProbeResult, LinearProbeStop } from "./linear-probe";
export { zStd } from "./zstd";
export { effectiveRank } from "./effective-rank";
export { pca } from "./pca";
export type { PcaOptions, PcaResult } from "./pca";
export { umapEmbed } from "./umap";
export type { UmapOptions } from "./umap";
export { SimilarityIndex } from "./similarity-index";
export type { SimilarItem, SimilarQueryOptions } from "./similarity-index";
export { decodeNpy, embeddingsToCsv, embeddingsToJson, encodeNpy } from "./export";
export type { EmbeddingExportOptions } from "./export";
