// `byol bench`: a training step and the kernels on every backend that works here, as one table.
import { parse } from "./args";

export const BENCH_HELP = `byol bench — kernels and a BYOL training step on every backend that works here

  --json     print the table as JSON
  --quick    fewer repetitions`;

/** Runs `byol bench`; returns the exit code. */
export async function benchCommand(argv: string[]): Promise<number> {
  const v = parse(argv, { json: { type: "boolean" }, quick: { type: "boolean" } });
  if (v.help) {
    console.log(BENCH_HELP);
    return 0;
  }
  const { runBench, printBench } = await import("./bench-suite");
  const rows = await runBench({ quick: !!v.quick });
  if (v.json) console.log(JSON.stringify(rows));
  else printBench(rows);
  return 0;
}
