// A command's flags, defined once: the parser reads their types and choices, `--help` their value
// names, choices, defaults and descriptions — so the help cannot list fewer flags, or other
// choices, than the parser accepts.

/** One flag of a command. */
export interface Flag {
  type: "string" | "boolean";
  /** The value's name in the help (string flags): `DIR`, `N`… (default: short choices joined by |, else NAME). */
  value?: string;
  /** The values accepted (checked by `choice`), listed in the help. */
  choices?: readonly string[];
  /** The default, as the help states it. */
  default?: string | number;
  /** What the flag does, one line (the help wraps it). */
  help: string;
}

/** A command's flags by name (without the leading --). */
export type FlagTable = Readonly<Record<string, Flag>>;

/** Every command takes --help / -h (added by the parser). */
const HELP_FLAG = "  --help, -h";

const WIDTH = 100;
/** Labels longer than this put their description on the next line. */
const MAX_LABEL = 22;

/** Choices short enough to stand as the value's name, `crop|pad`. */
const inline = (f: Flag) => !f.value && f.choices !== undefined && f.choices.join("|").length <= 12;

function label(name: string, f: Flag): string {
  if (f.type === "boolean") return `  --${name}`;
  return `  --${name} ${inline(f) ? f.choices!.join("|") : (f.value ?? "NAME")}`;
}

/** The help sentence, then the choices (unless the label shows them) and the default. */
function description(f: Flag): string {
  const notes = [!inline(f) && f.choices?.join(" | "), f.default !== undefined && `default ${f.default}`].filter(Boolean);
  return notes.length ? `${f.help} (${notes.join("; ")})` : f.help;
}

/** `text` broken into lines of at most `width` characters (a longer word stands alone). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/** The `--help` text: `title`, then one entry per flag of `flags`, then --help itself. */
export function helpText(title: string, flags: FlagTable): string {
  const rows: [string, string][] = [...Object.entries(flags).map(([name, f]): [string, string] => [label(name, f), description(f)]), [HELP_FLAG, "this help"]];
  const column = Math.max(...rows.map(([l]) => l.length).filter((n) => n <= MAX_LABEL)) + 2;
  const lines = rows.flatMap(([l, d]) => {
    const [first, ...rest] = wrap(d, WIDTH - column).map((text) => " ".repeat(column) + text);
    const head = l.length + 2 <= column ? [l.padEnd(column) + first.slice(column)] : [l, first];
    return [...head, ...rest];
  });
  return `${title}\n\n${lines.join("\n")}`;
}
