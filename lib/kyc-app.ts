/**
 * Builds the serverless-kyc CDK application (both stacks) from a resolved configuration.
 * `bin/app.ts` calls it for `cdk synth`/`deploy`; tests and the local runtime call it to
 * synthesize in-process.
 */
import { Tags, type App } from 'aws-cdk-lib';
import type { KycConfig } from './config.ts';
import { KycAppStack } from './stacks/app-stack.ts';
import { KycDataStack } from './stacks/data-stack.ts';
import { KycWafStack, WAF_REGION } from './stacks/waf-stack.ts';

/** The stacks of one installation. */
export interface KycStacks {
  readonly dataStack: KycDataStack;
  readonly appStack: KycAppStack;
  /** The web ACL stack in us-east-1, when `apiWaf.enabled` and no `apiWaf.webAclArn` is given. */
  readonly wafStack?: KycWafStack;
}

/** Build options that are not configuration (tests point them elsewhere). */
export interface KycAppOptions {
  /** Folder of the console's files for `consoleHosting` (`web/console/`). */
  readonly consoleSourceDir?: string;
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
export function buildKycApp(app: App, config: KycConfig, options: KycAppOptions = {}): KycStacks {
  const env = { region: config.region, account: config.account };
  const dataStack = new KycDataStack(app, `${config.prefix}-data`, { env, config });
  const wafStack =
    config.apiWaf.enabled && !config.apiWaf.webAclArn
      ? new KycWafStack(app, `${config.prefix}-waf`, {
          env: { region: WAF_REGION, account: config.account },
          config,
          crossRegionReferences: true,
        })
      : undefined;
  const webAclArn = config.apiWaf.webAclArn ?? wafStack?.webAclArn;
  const appStack = new KycAppStack(app, `${config.prefix}-app`, {
    env,
    config,
    data: dataStack.resources,
    ...(webAclArn ? { webAclArn } : {}),
    ...(options.consoleSourceDir ? { consoleSourceDir: options.consoleSourceDir } : {}),
    ...(wafStack ? { crossRegionReferences: true } : {}),
  });
  appStack.addStackDependency(dataStack, 'functions use the keys, buckets, tables and bus of the data stack');
  if (wafStack) appStack.addStackDependency(wafStack, 'the API distribution attaches the web ACL');
  Tags.of(app).add('project', 'serverless-kyc');
  Tags.of(app).add('kyc:installation', config.prefix);
  return { dataStack, appStack, ...(wafStack ? { wafStack } : {}) };
}
