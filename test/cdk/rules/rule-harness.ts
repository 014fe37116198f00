/**
 * Runs one cdk-nag rule over a stack, the way cdk-nag's own tests do, and reports whether it
 * found the stack compliant.
 */
import { Aspects, CfnResource, Stack, type App } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { NagMessageLevel, NagPack, type NagRuleCompliance, type NagRuleResult } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { createTestApp } from '../synth.ts';

type Rule = ((node: CfnResource) => NagRuleResult | NagRuleCompliance) & { name: string };

class SingleRulePack extends NagPack {
  constructor(private readonly rule: Rule) {
    super();
    this.packName = 'Test';
  }
  public visit(node: IConstruct): void {
    if (node instanceof CfnResource) {
      this.applyRule({ info: 'test', explanation: 'test', level: NagMessageLevel.ERROR, rule: this.rule, node });
    }
  }
}

/** A stack in a fresh test app, ready for `findingsOf`. */
export function ruleTestStack(): { app: App; stack: Stack } {
  const app = createTestApp();
  return { app, stack: new Stack(app, 'Stack', { env: { region: 'eu-west-1', account: '123456789012' } }) };
}

/** Applies `rule` to `stack` and returns the construct paths it reported. */
export function findingsOf(stack: Stack, rule: Rule): string[] {
  Aspects.of(stack).add(new SingleRulePack(rule));
  return Annotations.fromStack(stack)
    .findError('*', Match.stringLikeRegexp(`Test-${rule.name}`))
    .map((entry) => entry.id);
}
