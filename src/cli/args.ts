// Command-line parsing shared by the subcommands: flags → typed values, with errors naming the flag.
import { readFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A usage error: printed with the command's help, exit code 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses `argv` against `options`; unknown flags and stray positionals are usage errors. */
export function parse(argv: string[], options: Options): Record<string, string | boolean | undefined> {
  try {
    const { values } = parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false });
    return values as Record<string, string | boolean | undefined>;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** A numeric flag: undefined when absent, else a finite number within [min, max] (integer if asked). */
export function num(values: Record<string, unknown>, flag: string, opts: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
  const raw = values[flag];
  if (raw === undefined) return undefined;
  const v = Number(raw);
  const bad =
    typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(v) || (opts.integer && !Number.isInteger(v)) ||
    (opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max);
  if (bad) {
    const range = [opts.min !== undefined ? `≥ ${opts.min}` : "", opts.max !== undefined ? `≤ ${opts.max}` : ""].filter(Boolean).join(" and ");
    throw new UsageError(`--${flag} must be ${opts.integer ? "an integer" : "a number"}${range ? " " + range : ""}, got ${JSON.stringify(raw)}`);
  }
  return v;
}

/** A string flag restricted to `choices`. */
export function choice<T extends string>(values: Record<string, unknown>, flag: string, choices: readonly T[]): T | undefined {
  const raw = values[flag];
  if (raw === undefined) return undefined;
  if (!choices.includes(raw as T)) throw new UsageError(`--${flag} must be one of ${choices.join(", ")}, got ${JSON.stringify(raw)}`);
  return raw as T;
}

/** Reads a JSON config file given with --config (flags given on the command line win). */
export function readConfigFile(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`--config ${path}: ${(e as Error).message}`);
  }
  try {
    const v = JSON.parse(text);
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("not a JSON object");
    return v;
  } catch (e) {
    throw new UsageError(`--config ${path}: ${(e as Error).message}`);
  }
}
