/**
 * Builds the serverless-kyc CDK application (both stacks) from a resolved configuration.
 * `bin/app.ts` calls it for `cdk synth`/`deploy`; tests and the local runtime call it to
 * synthesize in-process.
 */
import { Tags, type App } from 'aws-cdk-lib';
import type { KycConfig } from './config.ts';
import { KycAppStack } from './stacks/app-stack.ts';
import { KycDataStack } from './stacks/data-stack.ts';

/** The stacks of one installation. */
export interface KycStacks {
  readonly dataStack: KycDataStack;
  readonly appStack: KycAppStack;
}

/**
 * Adds the data stack (`<prefix>-data`) and the app stack (`<prefix>-app`) to `app`.
 *
 * @example
 * ```ts
 * const app = new App();
 * const { dataStack, appStack } = buildKycApp(app, configFromContext(app.node));
 * ```
 */
export function buildKycApp(app: App, config: KycConfig): KycStacks {
  const env = { region: config.region, account: config.account };
  const dataStack = new KycDataStack(app, `${config.prefix}-data`, { env, config });
  const appStack = new KycAppStack(app, `${config.prefix}-app`, { env, config, data: dataStack.resources });
  appStack.addStackDependency(dataStack, 'functions use the keys, buckets, tables and bus of the data stack');
  Tags.of(app).add('project', 'serverless-kyc');
  Tags.of(app).add('kyc:installation', config.prefix);
  return { dataStack, appStack };
}
