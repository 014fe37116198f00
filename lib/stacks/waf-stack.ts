/**
 * The optional web ACL in front of the API (`apiWaf.enabled` without `apiWaf.webAclArn`).
 * AWS keeps web ACLs of scope CLOUDFRONT in us-east-1 whatever region the installation uses, so
 * this stack (`<prefix>-waf`) is deployed to us-east-1 and the app stack reads the ACL's ARN
 * through CDK's cross-region references (SSM parameters in us-east-1, read back by a custom
 * resource of the app stack). The ACL holds rules only; no request data is stored in us-east-1
 * (WAF logging is not enabled).
 *
 * Rules, in order: AWS managed Common rule set (its 8 KB body-size rule counts only: the API
 * caps bodies itself), Known bad inputs, Amazon IP reputation list, then a rate-based rule that
 * blocks an IP above `apiWaf.requestsPer5MinutesPerIp` requests in any 5 minutes.
 *
 * @example
 * ```ts
 * const waf = new KycWafStack(app, 'kyc-waf', { env: { region: 'us-east-1', account }, config, crossRegionReferences: true });
 * waf.webAclArn;
 * ```
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import type { KycConfig } from '../config.ts';

/** Region of every CLOUDFRONT-scope web ACL. */
export const WAF_REGION = 'us-east-1';

/** AWS managed rule groups of the web ACL, in priority order. */
export const MANAGED_RULE_GROUPS = [
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
  'AWSManagedRulesAmazonIpReputationList',
] as const;

export interface KycWafStackProps extends StackProps {
  readonly config: KycConfig;
}

/**
 * The `<prefix>-waf` stack in us-east-1: one CLOUDFRONT-scope web ACL (see the file comment).
 *
 * @example
 * ```ts
 * new KycWafStack(app, 'kyc-waf', { env: { region: WAF_REGION }, config }).webAclArn;
 * ```
 */
export class KycWafStack extends Stack {
  public readonly webAcl: wafv2.CfnWebACL;
  public readonly webAclArn: string;

  constructor(scope: Construct, id: string, props: KycWafStackProps) {
    super(scope, id, { description: 'serverless-kyc web ACL for the API distribution (us-east-1)', ...props });
    const { config } = props;
    const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName: `${config.prefix}-${name}`,
      sampledRequestsEnabled: false,
    });
    const rules: wafv2.CfnWebACL.RuleProperty[] = MANAGED_RULE_GROUPS.map((name, priority) => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          ...(name === 'AWSManagedRulesCommonRuleSet'
            ? { ruleActionOverrides: [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }] }
            : {}),
        },
      },
      visibilityConfig: visibility(name),
    }));
    rules.push({
      name: 'RatePerIp',
      priority: MANAGED_RULE_GROUPS.length,
      action: { block: {} },
      statement: {
        rateBasedStatement: {
          aggregateKeyType: 'IP',
          limit: config.apiWaf.requestsPer5MinutesPerIp,
          evaluationWindowSec: 300,
        },
      },
      visibilityConfig: visibility('rate-per-ip'),
    });
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: `${config.prefix}-api`,
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      description: 'serverless-kyc: managed rule groups and a per-IP rate rule in front of the API',
      rules,
      visibilityConfig: visibility('web-acl'),
    });
    this.webAclArn = this.webAcl.attrArn;
  }
}
