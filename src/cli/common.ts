// What the subcommands share: backend set-up with a one-line report and a learner rebuilt from a
// checkpoint.
import { availableParallelism } from "node:os";
import type { KernelBuild } from "../../bindings/loader";
import { BACKEND_NAMES, setBackend, type BackendInfo, type BackendName } from "../backend";
import type { Learner } from "../learner";
import type { RunConfig } from "../train/config";
import { buildLearner } from "../train/setup";
import { choice, num } from "./args";

/** Prints to stderr (stdout stays for results, e.g. `--json`). */
export const say = (line: string): void => void process.stderr.write(line + "\n");

/** Flags every command takes to choose where it computes. */
export const BACKEND_FLAGS = {
  backend: { type: "string", choices: BACKEND_NAMES, default: "auto", help: "where tfjs computes; auto: wasm with byol-ts' kernels in Node, else cpu" },
  threads: { type: "string", value: "N", default: "the cores, up to 4", help: "threads for byol-ts' convolution and matrix-product kernels on wasm" },
} as const;

/** Helper threads beside the caller when --threads is not given: the cores, up to 4 in all. */
const defaultThreads = () => Math.min(4, availableParallelism());

/** The backend and kernel threads the flags name, checked (before any slow start). */
export function backendFlags(v: Record<string, unknown>): { name: BackendName; kernelThreads: number } {
  return { name: choice(v, "backend", BACKEND_FLAGS.backend.choices) ?? "auto", kernelThreads: num(v, "threads", { min: 1, max: 64, integer: true }) ?? defaultThreads() };
}

/** Activates the backend of {@link backendFlags} (--threads for byol-ts' kernels on wasm) and says what runs. */
export async function startBackend({ name, kernelThreads, kernelBuild }: { name: BackendName; kernelThreads: number; kernelBuild?: "auto" | KernelBuild }): Promise<BackendInfo> {
  const info = await setBackend(name, { kernelThreads, kernelBuild });
  say(`backend: ${backendLine(info)}`);
  // wasm is an optional peer of the package: say why training is ~30× slower than it should be
  if (name === "auto" && info.name === "cpu") say("warning: the wasm backend is not available (npm i @tensorflow/tfjs-backend-wasm); cpu trains ~30× slower");
  return info;
}

/** What runs, in words: e.g. "wasm (SIMD on, byol-ts convolutions and matrix products on 2 threads: relaxed-simd build, helpers relaxed-simd-shared)". */
export function backendLine(info: BackendInfo): string {
  if (info.name !== "wasm") return info.name;
  const threads = `${info.kernelThreads} thread${info.kernelThreads > 1 ? "s" : ""}`;
  const builds = info.kernelBuild ? `: ${info.kernelBuild} build${info.helperBuild ? `, helpers ${info.helperBuild}` : ""}` : "";
  return `${info.name} (SIMD ${info.simd ? "on" : "off"}, ${info.kernels} convolutions and matrix products on ${threads}${builds})`;
}


/** An encoder in words: its architecture, width and what else sets its weights' shapes. */
export function encoderText({ arch, width, stem, depth, stages, zeroInitResidual }: RunConfig["encoder"]): string {
  return `${arch} of width ${width}${arch === "small-cnn" ? `, depth ${depth ?? 1}, ${stages ?? 2} stages` : `, ${stem} stem${zeroInitResidual ? ", zero-init residual" : ""}`}`;
}
