/**
 * `kyc token --user <id> --role <role> [--data-dir DIR] [--ttl SECONDS]`: prints a bearer token
 * that the local runtime using the same data folder accepts. Local mode only: in AWS, Cognito
 * issues tokens and this command's tokens are worthless there. A data folder that does not exist
 * is a usage error (exit 2), never a new key.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROLES } from '../../../lambdas/domain/verification.ts';
import { loadOrCreateSigningKey } from '../../runtime/auth/local-signing-key.ts';
import { DEFAULT_TOKEN_TTL_SECONDS, isRole, issueLocalToken } from '../../runtime/auth/local-tokens.ts';
import { integerOption, parseCommandArgs } from '../args.ts';
import { EXIT, UsageError, type CliIo } from '../io.ts';

export const TOKEN_USAGE = `Usage: kyc token --user <id> --role ${ROLES.join('|')} [--data-dir .local-data] [--ttl seconds]

Prints a bearer token for the LOCAL runtime only (signed with the data folder's own key;
AWS deployments use Cognito). Example:
  curl -H "authorization: Bearer $(npx kyc token --user alice --role user)" http://127.0.0.1:3000/v1/...`;

/** Runs `kyc token`; resolves to the exit code. */
export async function tokenCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, {
    user: { type: 'string' },
    role: { type: 'string' },
    'data-dir': { type: 'string' },
    ttl: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.out(TOKEN_USAGE);
    return EXIT.ok;
  }
  const user = values.user;
  if (!user || !/^[A-Za-z0-9._@:-]{1,128}$/.test(user)) {
    throw new UsageError('--user is required: 1-128 characters of letters, digits and ._@:-');
  }
  const role = values.role;
  if (role === undefined) throw new UsageError(`--role is required: one of ${ROLES.join(', ')}`);
  if (!isRole(role)) {
    throw new UsageError(`--role "${role}" is not a role: use one of ${ROLES.join(', ')}`);
  }
  const ttlSeconds = integerOption('ttl', values.ttl, DEFAULT_TOKEN_TTL_SECONDS, 60, 30 * 24 * 3600);
  const dataDir = resolve(io.cwd, values['data-dir'] ?? '.local-data');
  // A mistyped folder must not get a signing key of its own: its tokens would be refused (401)
  // by the runtime, which signs with the key of the folder it really uses.
  if (!existsSync(dataDir)) {
    throw new UsageError(
      `no data folder ${dataDir}: start the runtime once (npm start, or kyc local --data-dir <dir>) or check the path`,
    );
  }
  const key = await loadOrCreateSigningKey(dataDir);
  io.out(await issueLocalToken(key, { userId: user, role, ttlSeconds }));
  io.err(`(local mode only: accepted by the runtime using ${dataDir}, valid ${ttlSeconds} s)`);
  return EXIT.ok;
}
