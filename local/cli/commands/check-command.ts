/**
 * `kyc check`: the quality gate on one file. The command itself belongs to the quality area
 * (`local/cli/commands/check.ts`); this adapter loads it and maps its absence to a clear error.
 */
import { EXIT, type CliIo } from '../io.ts';

type CheckCommand = (args: readonly string[], io: CliIo) => Promise<number> | number;

/** Runs `kyc check`; resolves to its exit code (0 accepted, 1 rejected, 2 usage or read error). */
export async function checkEntry(args: readonly string[], io: CliIo): Promise<number> {
  const specifier = './check.ts';
  let module: { checkCommand?: CheckCommand };
  try {
    module = (await import(specifier)) as { checkCommand?: CheckCommand };
  } catch (error) {
    io.err(`kyc check: the quality gate is not installed in this checkout (${(error as Error).message})`);
    return EXIT.usage;
  }
  if (typeof module.checkCommand !== 'function') {
    io.err('kyc check: local/cli/commands/check.ts does not export checkCommand');
    return EXIT.usage;
  }
  return module.checkCommand(args, io);
}
