/**
 * Entry point of `npx kyc <command>` (PRODUCT §7): dispatches to one command module, each loaded
 * only when used so `kyc token` does not pay for the CDK. Usage errors exit 2 with a message.
 *
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2), processIo());
 * ```
 */
import { EXIT, UsageError, type CliIo } from './io.ts';

export const USAGE = `Usage: kyc <command> [options]

Commands:
  local   Start the embedded runtime (no AWS account): kyc local [--port 3000] [--data-dir .local-data] [--time-scale N]
  token   Print a local bearer token:      kyc token --user <id> --role user|support|compliance_reviewer|compliance_approver|admin
  check   Run the quality gate on a file:  kyc check <file> --slot <slot> [--document-type <type>] [--json]
  demo    Drive every scenario end to end: kyc demo [--api-url URL]
  audit   Audit trail integrity:           kyc audit verify|digest [--data-dir .local-data] [--subject <id>] [--json]
  watermark trace  Who a leaked image came from: kyc watermark trace <image> [--data-dir <dir>] [--region <r>] [--json]
  records purge    Run the deletion job now:     kyc records purge [--data-dir .local-data] [--dry-run] [--json]

Run "kyc <command> --help" for a command's options.`;

type Command = (args: readonly string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  local: async () => (await import('./commands/local.ts')).localCommand,
  token: async () => (await import('./commands/token.ts')).tokenCommand,
  check: async () => (await import('./commands/check-command.ts')).checkEntry,
  demo: async () => (await import('./commands/demo.ts')).demoCommand,
  audit: async () => (await import('./commands/audit.ts')).auditCommand,
  watermark: async () => (await import('./commands/watermark.ts')).watermarkCommand,
  records: async () => (await import('./commands/records.ts')).recordsCommand,
};

/** Runs one command line; resolves to the process exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(USAGE);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.err(`kyc: unknown command "${name}"\n\n${USAGE}`);
    return EXIT.usage;
  }
  try {
    const command = await load();
    return await command(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`kyc ${name}: ${error.message}\nRun "kyc ${name} --help" for usage.`);
      return EXIT.usage;
    }
    io.err(`kyc ${name}: ${(error as Error).message ?? String(error)}`);
    return EXIT.failure;
  }
}
