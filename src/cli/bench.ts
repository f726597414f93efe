// `byol bench`: a training step and the kernels on every backend that works here, as one table; or,
// with --step, one configuration's step on one backend as a JSON object other tools can read.
import { KERNEL_BUILDS } from "../../bindings/loader";
import { choice, num, parse, UsageError } from "./args";
import { BACKEND_FLAGS, backendFlags, startBackend } from "./common";
import { helpText, type FlagTable } from "./flags";

/** `byol bench`'s flags. */
export const BENCH_FLAGS = {
  json: { type: "boolean", help: "print the table as JSON" },
  quick: { type: "boolean", help: "fewer repetitions" },
  step: { type: "string", choices: ["anchor", "default"], help: "instead: time the training step of one configuration, anchor (byol-pytorch's ResNet-18 w64, 28×28×3, batch 128) or default (DEFAULT_RUN), on --backend with --threads kernel threads; with --json one object {config, backend, build, helperBuild, threads, imagesPerSecond, phases: {augment, gradients, optimizer, ema, total} (median ms per step), load, cpu, node}" },
  reps: { type: "string", value: "N", default: 5, help: "steps timed with --step, after one untimed" },
  backend: { ...BACKEND_FLAGS.backend, help: `with --step: ${BACKEND_FLAGS.backend.help}` },
  threads: { ...BACKEND_FLAGS.threads, help: `with --step: ${BACKEND_FLAGS.threads.help}` },
  build: { type: "string", choices: ["auto", ...KERNEL_BUILDS], default: "auto", help: "with --step on wasm: the byol-ts kernel build (auto: relaxed-simd where the engine has it, else simd); a build the engine cannot run is an error" },
} as const satisfies FlagTable;

export const BENCH_HELP = helpText("byol bench — kernels and a BYOL training step on every backend that works here", BENCH_FLAGS);

/** Runs `byol bench`; returns the exit code. */
export async function benchCommand(argv: string[]): Promise<number> {
  const v = parse(argv, BENCH_FLAGS);
  if (v.help) {
    console.log(BENCH_HELP);
    return 0;
  }
  const step = choice(v, "step", BENCH_FLAGS.step.choices);
  // the suite measures every backend with its own repetitions: these flags would be ignored
  const stepOnly = ["reps", "backend", "threads", "build"].filter((k) => v[k] !== undefined);
  if (!step && stepOnly.length) throw new UsageError(`${stepOnly.map((k) => `--${k} ${v[k]}`).join(", ")}: only with --step`);
  const reps = num(v, "reps", { min: 1, integer: true }) ?? 5;
  if (step) {
    const info = await startBackend({ ...backendFlags(v), kernelBuild: choice(v, "build", BENCH_FLAGS.build.choices) ?? "auto" });
    const { benchStep } = await import("../bench/step");
    const r = await benchStep(step, reps, { backend: info.name, build: info.kernelBuild ?? "none", helperBuild: info.helperBuild, threads: info.kernelThreads });
    if (v.json) console.log(JSON.stringify(r));
    else console.log(`${r.config} on ${r.backend} (${r.build}${r.helperBuild ? `, helpers ${r.helperBuild}` : ""}, ${r.threads} thread(s)): ${r.imagesPerSecond.toFixed(1)} img/s; median ms per step: ${Object.entries(r.phases).map(([k, x]) => `${k} ${x.toFixed(1)}`).join(", ")}; load ${r.load.join(" ")}`);
    return 0;
  }
  const { runBench, printBench } = await import("./bench-suite");
  const rows = await runBench({ quick: !!v.quick });
  if (v.json) console.log(JSON.stringify(rows));
  else printBench(rows);
  return 0;
}
