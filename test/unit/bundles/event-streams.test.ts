import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KYC_BUNDLING, SDK_EVENT_STREAM_MODULES } from '../../../lib/constructs/kyc-function.ts';

// The functions' bundles leave the SDK's event-stream codec out (`SDK_EVENT_STREAM_MODULES`):
// that holds only while no function calls an operation with an event stream.
const ROOT = process.cwd();

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Every `<Name>Command` imported (as a value) from an SDK package in `files`, with its package. */
function importedCommands(files: readonly string[]): Array<{ pkg: string; command: string; file: string }> {
  const found: Array<{ pkg: string; command: string; file: string }> = [];
  const statement = /import\s+(type\s+)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/[a-z0-9-]+)'/g;
  for (const file of files) {
    for (const match of readFileSync(file, 'utf8').matchAll(statement)) {
      if (match[1]) continue;
      for (const specifier of (match[2] ?? '').split(',')) {
        const name =
          specifier
            .trim()
            .replace(/^type\s+/, '')
            .split(/\s+as\s+/)[0] ?? '';
        if (/^[A-Z]\w*Command$/.test(name) && !specifier.trim().startsWith('type '))
          found.push({ pkg: match[3] as string, command: name, file });
      }
    }
  }
  return found;
}

/** Whether the SDK declares an event-stream member on the command's input or output. */
function hasEventStream(pkg: string, command: string): boolean {
  const declaration = join(ROOT, 'node_modules', pkg, 'dist-types', 'commands', `${command}.d.ts`);
  if (!existsSync(declaration)) throw new Error(`no declaration for ${pkg} ${command}`);
  return /EventStream/.test(readFileSync(declaration, 'utf8'));
}

describe('the event-stream codec left out of the bundles', () => {
  it('is external in the deployment bundling', () => {
    // Act / Assess
    expect(SDK_EVENT_STREAM_MODULES).toEqual(['@smithy/core/event-streams']);
    expect(KYC_BUNDLING.externalModules).toEqual(expect.arrayContaining([...SDK_EVENT_STREAM_MODULES]));
  });

  it('recognises the operations that stream events', () => {
    // Act / Assess: the check below is not blind
    expect(hasEventStream('@aws-sdk/client-s3', 'SelectObjectContentCommand')).toBe(true);
    expect(hasEventStream('@aws-sdk/client-lambda', 'InvokeWithResponseStreamCommand')).toBe(true);
    expect(hasEventStream('@aws-sdk/client-s3', 'GetObjectCommand')).toBe(false);
  });

  it('is needed by no command any function imports', () => {
    // Prepare
    const commands = importedCommands(sourceFiles(join(ROOT, 'lambdas')));

    // Act
    const streaming = commands.filter(({ pkg, command }) => hasEventStream(pkg, command));

    // Assess
    expect(commands.length).toBeGreaterThan(40);
    expect(commands.map(({ command }) => command)).toEqual(
      expect.arrayContaining(['DetectTextCommand', 'GetObjectCommand', 'StartExecutionCommand']),
    );
    expect(streaming).toEqual([]);
  });
});
