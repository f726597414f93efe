// byol-ts Node-only API: files, datasets on disk, checkpoints. Re-exports the universal API.
export * from "./index";
export { readIdx } from "./data/read-idx";
export { defaultCacheDir, loadFashionMnist, loadIdxDataset, loadMnist } from "./data/fashion-mnist";
export type { IdxDatasetName, LoadIdxDatasetOptions, Split } from "./data/fashion-mnist";
export { loadImageFolder } from "./data/image-folder";
export type { ImageFolderOptions, ImageFolderSet } from "./data/image-folder";
export { parseSafetensorsFile, readSafetensorsFile } from "./io/files";
export { writeEmbeddings } from "./eval/write-embeddings";
export { checkpointPath, readCheckpointFile, writeCheckpointFile, CHECKPOINT_FILE } from "./train/checkpoint-file";
