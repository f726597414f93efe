// Each command's --help against its parser: every flag the parser accepts is listed (and nothing
// else), and the backends listed are the ones setBackend takes — the help is generated from the
// flag table the parser reads, and this holds it there.
import { afterEach, describe, expect, it, vi } from "vitest";
import { BACKEND_NAMES } from "../src/backend";
import { UsageError } from "../src/cli/args";
import { COMMANDS } from "../src/cli/commands";

/** Every flag name any command knows: each command's parser is asked about all of them. */
const CANDIDATES = [...new Set(Object.values(COMMANDS).flatMap((c) => Object.keys(c.flags)))];

/** The flags `run` accepts among the candidates (a flag given with a value it does not take is known, not unknown). */
async function accepted(run: (argv: string[]) => Promise<number>): Promise<string[]> {
  const known: string[] = [];
  for (const name of CANDIDATES) {
    // --help stops the command right after parsing
    const error = await run([`--${name}=1`, "--help"]).then(() => undefined, (e: unknown) => e);
    if (error !== undefined && !(error instanceof UsageError)) throw error;
    if (!(error instanceof UsageError && error.message === `unknown flag --${name}`)) known.push(name);
  }
  return known;
}

/** What `run(["--help"])` prints. */
async function printedHelp(run: (argv: string[]) => Promise<number>): Promise<string> {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  expect(await run(["--help"])).toBe(0);
  return log.mock.calls.map((c) => c.join(" ")).join("\n");
}

afterEach(() => vi.restoreAllMocks());

describe.each(Object.entries(COMMANDS))("byol %s --help", (_, command) => {
  it("lists exactly the flags the parser accepts, and --help", async () => {
    const help = await printedHelp(command.run);
    const listed = [...help.matchAll(/^ {2}--([a-z-]+)/gm)].map((m) => m[1]);
    vi.spyOn(console, "log").mockImplementation(() => {});
    expect(listed.sort()).toEqual([...(await accepted(command.run)), "help"].sort());
    expect(help).toMatch(/^ {2}--help, -h /m);
  });

  it("lists the backends setBackend takes", async () => {
    const help = await printedHelp(command.run);
    const entry = /^ {2}--backend NAME [\s\S]*?\(([^;)]*)[;)]/m.exec(help);
    expect(entry, help).not.toBeNull();
    expect(entry![1].split(/\s+\|\s+/).map((s) => s.trim())).toEqual([...BACKEND_NAMES]);
  });
});
