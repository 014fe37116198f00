/**
 * The one way serverless-kyc defines a Lambda function: Node.js 22 on ARM64, bundled ESM with
 * source maps, X-Ray tracing, a KMS-encrypted log group with the configured retention, the
 * resolved configuration in `KYC_CONFIG`, and a dead-letter destination for failed
 * asynchronous invocations.
 */
import { existsSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { NagSuppressions } from 'cdk-nag';
import { ENV } from '../../lambdas/adapters/aws/environment.ts';
import {
  bundlingExternals,
  LAMBDA_ESBUILD,
  rebuildCommand,
  SDK_EVENT_STREAM_CODEC,
  SDK_MODULES_UNUSED_ON_LAMBDA,
} from '../bundling/lambda-bundle.ts';
import type { KycConfig } from '../config.ts';

export { bundlingExternals, SDK_EVENT_STREAM_CODEC, SDK_MODULES_UNUSED_ON_LAMBDA };

/** Lambda runtime of every serverless-kyc function; the code is tested on Node 22 semantics. */
export const KYC_FUNCTION_RUNTIME = lambda.Runtime.NODEJS_22_X;

/**
 * npm settings for installing `nodeModules` into the asset: Lambda's platform (linux, arm64,
 * glibc) whatever machine bundles, and the npm cache first, so a synth works offline once the
 * linux-arm64 packages have been fetched (the first synth or deploy on a machine needs the registry).
 */
const NATIVE_MODULE_INSTALL_ENV = {
  npm_config_os: 'linux',
  npm_config_cpu: 'arm64',
  npm_config_libc: 'glibc',
  npm_config_prefer_offline: 'true',
} as const;

/**
 * esbuild settings of `NodejsFunction`'s own bundling step, which `rebuildCommand` then redoes
 * with the same settings plus what esbuild's command line cannot do (`lib/bundling/lambda-bundle.ts`).
 */
const KYC_BUNDLING = {
  minify: LAMBDA_ESBUILD.minify,
  sourceMap: LAMBDA_ESBUILD.sourcemap,
  format: nodejs.OutputFormat.ESM,
  target: LAMBDA_ESBUILD.target,
  mainFields: [...LAMBDA_ESBUILD.mainFields],
  banner: LAMBDA_ESBUILD.banner,
};

/** Root of the repository (holds package-lock.json; entries must lie under it). */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Absolute path of a handler file `lambdas/handlers/<name>.ts`.
 *
 * @example
 * ```ts
 * new KycFunction(this, 'OnUpload', { shared, entry: handlerEntry('on-upload') });
 * ```
 */
export function handlerEntry(name: string): string {
  return fileURLToPath(new URL(`../../lambdas/handlers/${name}.ts`, import.meta.url));
}

/** What every function of one installation shares; the app stack builds it once. */
export interface KycFunctionShared {
  /** Resolved configuration, passed to the code as JSON in `KYC_CONFIG`. */
  readonly config: KycConfig;
  /** Key that encrypts the function's log group (the service key; its policy admits CloudWatch Logs). */
  readonly logKey: kms.IKey;
  /** Destination of asynchronous invocations that failed after Lambda's retries. */
  readonly failureQueue: sqs.IQueue;
}

export interface KycFunctionProps {
  /** Installation-wide settings: config, log key, failure queue (required). */
  readonly shared: KycFunctionShared;
  /** Path to the handler's TypeScript file, e.g. `handlerEntry('on-upload')` (required). */
  readonly entry: string;
  /** Exported handler function name (`handler`). */
  readonly handler?: string;
  /** Extra environment variables, e.g. table and bucket names (none). `KYC_CONFIG` and Powertools variables are always set. */
  readonly environment?: Readonly<Record<string, string>>;
  /** Maximum run time (30 seconds). */
  readonly timeout?: Duration;
  /** Memory in MB; CPU scales with it (512). */
  readonly memorySize?: number;
  /** Description shown in the console (`serverless-kyc <construct id>`). */
  readonly description?: string;
  /** Reserved concurrent executions, to cap a function or protect its capacity (none: the account pool). */
  readonly reservedConcurrency?: number;
  /** Powertools service name in logs, traces and metrics (`<prefix>-<construct id>`). */
  readonly serviceName?: string;
  /** Powertools log level (`INFO`). */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /**
   * Packages installed into the bundle's `node_modules` instead of being bundled (none).
   * Use `['sharp']` for image analysis: sharp is a native module, so at deploy time the bundler
   * runs `npm ci` in the asset folder with `npm_config_os=linux`, `npm_config_cpu=arm64` and
   * `npm_config_libc=glibc`, which selects sharp's prebuilt `@img/sharp-linux-arm64` and
   * `@img/sharp-libvips-linux-arm64` packages regardless of the deploying machine — the same as
   * `npm install --cpu=arm64 --os=linux --libc=glibc sharp`. This needs npm 10 or newer, and the
   * npm registry the first time on a machine (later synths use the npm cache, offline too;
   * synth in tests skips bundling).
   */
  readonly nodeModules?: readonly string[];
  /**
   * Whether the code calls S3 through the SDK's S3 client (false): then the SDK's event-stream
   * codec, which that client imports as it loads, stays in the bundle ({@link SDK_EVENT_STREAM_CODEC}).
   * The app's functions call S3 through `lambdas/adapters/aws/s3-rest-client.ts`, so none sets it.
   */
  readonly s3Client?: boolean;
}

/**
 * A `NodejsFunction` with serverless-kyc's defaults. Choices:
 * - Runtime `nodejs22.x`, ARM64 (Graviton: cheaper per ms; sharp ships arm64 binaries).
 * - AWS SDK v3 is BUNDLED: the versions pinned in package-lock.json are the ones tested, instead
 *   of whatever SDK the runtime image carries that day. What a Lambda never runs stays out: the
 *   credential chain past the environment, and the schemas of operations the code does not call
 *   (`lib/bundling/lambda-bundle.ts`, which rebuilds the bundle after `NodejsFunction`'s own step).
 * - ESM output (`index.mjs`) with a `createRequire` banner so bundled CommonJS dependencies
 *   can still `require` Node built-ins; minified, with its source map beside it, which Node reads
 *   only when `config.operations.sourceMapsAtRuntime` sets `--enable-source-maps` (parsing it
 *   costs every cold start 15-30 ms).
 * - Its own role: CloudWatch write on its own log group only (no AWSLambdaBasicExecutionRole),
 *   X-Ray, and SendMessage on the failure queue with the queue key's GenerateDataKey/Decrypt only
 *   through SQS (`kms:ViaService`); callers add data grants (`DataGrants`).
 * - Explicit log group, KMS-encrypted, retention `config.retention.logDays`, RETAIN removal
 *   (logs of identity checks are audit evidence too).
 *
 * @example
 * ```ts
 * const fn = new KycFunction(this, 'OnUpload', {
 *   shared: appStack.functionShared,
 *   entry: handlerEntry('on-upload'),
 *   memorySize: 1536,
 *   nodeModules: ['sharp'],
 *   environment: dataResourceEnvironment(data),
 * });
 * data.buckets.intake.grantRead(fn.fn);
 * ```
 */
export class KycFunction extends Construct {
  /** The Lambda function. */
  public readonly fn: nodejs.NodejsFunction;
  /** Its KMS-encrypted log group. */
  public readonly logGroup: logs.LogGroup;
  /** Its execution role. */
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: KycFunctionProps) {
    super(scope, id);
    const { config, logKey, failureQueue } = props.shared;
    if (!existsSync(props.entry)) {
      throw new Error(`KycFunction ${id}: entry ${props.entry} does not exist`);
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: logKey,
      retention: logRetention(config.retention.logDays),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `serverless-kyc ${id} execution role`,
    });
    this.logGroup.grantWrite(this.role);

    const nodeModules = [...(props.nodeModules ?? [])];
    const externalModules = bundlingExternals(props.s3Client ?? false);
    this.fn = new nodejs.NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: props.handler ?? 'handler',
      runtime: KYC_FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      description: props.description ?? `serverless-kyc ${id}`,
      reservedConcurrentExecutions: props.reservedConcurrency,
      role: this.role,
      logGroup: this.logGroup,
      // The queue imported by ARN: its grant is sqs:SendMessage only; KMS use is granted below, through SQS only.
      onFailure: new destinations.SqsDestination(sqs.Queue.fromQueueArn(this, 'FailureQueue', failureQueue.queueArn)),
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      projectRoot: PROJECT_ROOT,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName ?? `${config.prefix}-${toKebab(id)}`,
        POWERTOOLS_METRICS_NAMESPACE: 'serverless-kyc',
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        ...(config.operations.sourceMapsAtRuntime ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
        [ENV.config]: JSON.stringify(config),
        ...props.environment,
      },
      bundling: {
        ...KYC_BUNDLING,
        externalModules,
        // esbuild's command line takes no plugins: the bundle is built again with them, over its output.
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir, outputDir) => [
            rebuildCommand(inputDir, outputDir, relative(PROJECT_ROOT, props.entry).split(sep).join('/'), [
              ...externalModules,
              ...nodeModules,
            ]),
          ],
        },
        // Only when asked: an empty list would still run `npm ci` and ship package-lock.json in the asset.
        ...(nodeModules.length > 0 ? { nodeModules, environment: NATIVE_MODULE_INSTALL_ENV } : {}),
      },
    });

    // The local runtime (`kyc local`) runs this function's source in-process: it finds the file
    // and export through this metadata in the synthesized template (`local/runtime/template`).
    const cfnFunction = this.fn.node.defaultChild as lambda.CfnFunction;
    cfnFunction.addMetadata('kyc:entry', relative(PROJECT_ROOT, props.entry).split(sep).join('/'));
    cfnFunction.addMetadata('kyc:handler', props.handler ?? 'handler');
    if (nodeModules.length > 0) cfnFunction.addMetadata('kyc:nodeModules', nodeModules);
    // What its bundle leaves out (`npm run bench` and the bundle tests build it the same way).
    cfnFunction.addMetadata('kyc:externalModules', externalModules);

    const queueKey = failureQueue.encryptionMasterKey;
    if (queueKey) {
      // SendMessage to an SSE-KMS queue: SQS generates and decrypts data keys with the caller's rights.
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [queueKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `sqs.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }

    this.enableActiveTracing();
    NagSuppressions.addResourceSuppressions(this.fn, [
      {
        id: 'AwsSolutions-L1',
        reason:
          'Pinned to nodejs22.x on purpose: the code is written and tested for Node 22 (the runtime the project ' +
          'targets); moving to nodejs24.x is a deliberate upgrade with its own test run, not an automatic one. ' +
          'KycChecks (LambdaNodejsRuntimeCurrent) still rejects anything older than nodejs22.x.',
      },
    ]);
  }

  /**
   * X-Ray active tracing, with its permissions in a policy of their own. `tracing: ACTIVE` on
   * the L2 would put `Resource: "*"` into the role's default policy, where the justified
   * suppression for X-Ray would also hide any wildcard a caller grants later; kept apart, every
   * other wildcard on the role still needs its own reason.
   */
  private enableActiveTracing(): void {
    const policy = new iam.Policy(this, 'TracingPolicy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          resources: ['*'],
        }),
      ],
    });
    NagSuppressions.addResourceSuppressions(policy, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; "*" is the only form.',
        appliesTo: ['Resource::*'],
      },
    ]);
    (this.fn.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: 'Active' };
    this.fn.node.addDependency(policy);
  }
}

/** Retention periods CloudWatch Logs accepts, in days (AWS::Logs::LogGroup RetentionInDays). */
const LOG_RETENTION_DAYS = Object.values(logs.RetentionDays)
  .filter((days): days is number => typeof days === 'number' && days !== logs.RetentionDays.INFINITE)
  .sort((a, b) => a - b);

/**
 * The shortest retention CloudWatch accepts that keeps logs at least `days` days
 * (e.g. 100 -> 120), or 10 years for anything longer.
 */
export function logRetention(days: number): logs.RetentionDays {
  const allowed = LOG_RETENTION_DAYS.find((value) => value >= days) ?? logs.RetentionDays.TEN_YEARS;
  return allowed as logs.RetentionDays;
}

function toKebab(id: string): string {
  return id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
