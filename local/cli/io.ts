/**
 * What a CLI command may touch: its output streams, working folder and environment. Injected so
 * commands run in-process in tests exactly as from a terminal.
 */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

/** The process's own streams. */
export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    cwd: process.cwd(),
    env: process.env,
  };
}

/** Exit codes shared by every command (PRODUCT §7: 2 is a usage or read error). */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A command line the command cannot act on; printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/**
 * Stored text made safe to print on a terminal: control characters (escape sequences, carriage
 * returns), bidirectional controls and zero-width characters are shown as `\u{..}` escapes, so
 * text someone typed into a record can neither rewrite the lines around it nor read differently
 * from what is stored.
 *
 * @example
 * ```ts
 * terminalSafe('routine\u001b[2K\r  Why: legit'); // 'routine\\u{1b}[2K\\u{d}  Why: legit'
 * ```
 */
export function terminalSafe(text: string): string {
  return text.replace(
    /[\p{Cc}\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C\u200B-\u200D\u2060\uFEFF\u2028\u2029]|\p{Cs}/gu,
    (ch) => `\\u{${(ch.codePointAt(0) ?? 0).toString(16)}}`,
  );
}
