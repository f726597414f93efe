// Command-line parsing shared by the subcommands: flags → typed values, with errors naming the flag.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { FlagTable } from "./flags";

/** A usage error: printed with the command's help, exit code 2. */
export class UsageError extends Error {}

/** parseArgs' tokens (its own type does not narrow for options known only at run time). */
type Token = { kind: "option"; name: string; rawName: string; value?: string } | { kind: "positional"; value: string } | { kind: "option-terminator" };

/** `--flag -5` as `--flag=-5`: a negative number after a flag taking a value is that value, not a flag. */
function joinNegatives(argv: string[], flags: FlagTable): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = /^--([^=]+)$/.exec(argv[i])?.[1];
    if (name && flags[name]?.type === "string" && /^-(\d|\.\d|Infinity)/.test(argv[i + 1] ?? "")) out.push(`${argv[i]}=${argv[++i]}`);
    else out.push(argv[i]);
  }
  return out;
}

/** parseArgs' error as one line naming the flag (its own messages span lines and suggest `--`). */
function usageLine(e: Error & { code?: string }): string {
  const flag = /'(-[^' ]+)/.exec(e.message)?.[1];
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown flag ${flag}`;
  if (/argument missing/.test(e.message)) return `${flag} needs a value`;
  if (/does not take an argument/.test(e.message)) return `${flag} takes no value`;
  return e.message.split("\n")[0];
}

/**
 * Parses `argv` against the command's `flags` (and --help / -h). Unknown flags, stray arguments,
 * empty values and a flag given twice with values are usage errors naming the flag and value.
 */
export function parse(argv: string[], flags: FlagTable): Record<string, string | boolean | undefined> {
  const options = Object.fromEntries(Object.entries(flags).map(([name, f]) => [name, { type: f.type }]));
  let tokens: Token[];
  try {
    ({ tokens } = parseArgs({ args: joinNegatives(argv, flags), options: { ...options, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: true, tokens: true }) as { tokens: Token[] });
  } catch (e) {
    throw new UsageError(usageLine(e as Error));
  }
  const values: Record<string, string | boolean | undefined> = {};
  let previous: Token | undefined;
  for (const t of tokens) {
    if (t.kind === "positional") {
      const after =
        previous?.kind === "option" && previous.value === undefined ? `: ${previous.rawName} takes no value`
        : previous?.kind === "option-terminator" ? " after --: the command takes flags only" : "; flags start with --";
      throw new UsageError(`unexpected argument ${JSON.stringify(t.value)}${after}`);
    }
    if (t.kind === "option") {
      // a repeated value is ambiguous (which one did the user mean?); a repeated switch is not
      if (t.value !== undefined && values[t.name] !== undefined) throw new UsageError(`--${t.name} given twice, ${JSON.stringify(values[t.name])} and ${JSON.stringify(t.value)}; give it once`);
      if (t.value === "") throw new UsageError(`--${t.name} needs a value, got ""`);
      values[t.name] = t.value ?? true;
    }
    previous = t;
  }
  return values;
}

/** A numeric flag: undefined when absent, else a finite number within [min, max] (integer if asked). */
export function num(values: Record<string, unknown>, flag: string, opts: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
  const raw = values[flag];
  if (raw === undefined) return undefined;
  const v = Number(raw);
  const bad =
    typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(v) || (opts.integer && !Number.isSafeInteger(v)) ||
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
