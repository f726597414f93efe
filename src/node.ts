// byol-ts Node-only API: files, datasets on disk, checkpoints. Re-exports the universal API.
export * from "./index";
