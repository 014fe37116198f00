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
