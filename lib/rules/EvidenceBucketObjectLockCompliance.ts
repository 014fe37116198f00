/**
 * Evidence and audit buckets keep objects under S3 Object Lock in COMPLIANCE mode with a
 * default retention of at least five years (31 CFR 1020.220; EU AMLD art. 40).
 */
import { parse } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Stack, type CfnResource } from 'aws-cdk-lib';
import { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { NagRuleCompliance, NagRules } from 'cdk-nag';
import { MIN_RETENTION_YEARS } from '../config.ts';
import { DATA_CLASS_TAG } from '../constructs/bucket-security.ts';

/** Smallest default retention in days: 5 years of 365.25 days, rounded down (1826). */
export const MIN_LOCK_DAYS = Math.floor(MIN_RETENTION_YEARS * 365.25);

const LOCKED_DATA_CLASSES = new Set(['evidence', 'audit']);

/** `CfnBucket.objectLockConfiguration` after `Stack.resolve` (L1 property names, camelCase). */
interface ResolvedObjectLock {
  objectLockEnabled?: unknown;
  rule?: { defaultRetention?: { mode?: unknown; days?: unknown; years?: unknown } };
}

/**
 * Applies to every bucket with Object Lock enabled and every bucket tagged
 * `kyc:data-class` = `evidence` | `audit`. Retention in Years counts 365.25 days a year.
 * @param node the CfnResource to check
 */
export default Object.defineProperty(
  (node: CfnResource): NagRuleCompliance => {
    if (!(node instanceof CfnBucket)) return NagRuleCompliance.NOT_APPLICABLE;
    const lockEnabled = NagRules.resolveIfPrimitive(node, node.objectLockEnabled) === true;
    const dataClass = node.tags.tagValues()[DATA_CLASS_TAG];
    if (!lockEnabled && !LOCKED_DATA_CLASSES.has(dataClass ?? '')) return NagRuleCompliance.NOT_APPLICABLE;
    if (!lockEnabled) return NagRuleCompliance.NON_COMPLIANT;

    const lock = Stack.of(node).resolve(node.objectLockConfiguration) as ResolvedObjectLock | undefined;
    const retention = lock?.rule?.defaultRetention;
    if (NagRules.resolveIfPrimitive(node, lock?.objectLockEnabled) !== 'Enabled' || retention === undefined) {
      return NagRuleCompliance.NON_COMPLIANT;
    }
    if (NagRules.resolveIfPrimitive(node, retention.mode) !== 'COMPLIANCE') return NagRuleCompliance.NON_COMPLIANT;

    const days = NagRules.resolveIfPrimitive(node, retention.days);
    const years = NagRules.resolveIfPrimitive(node, retention.years);
    const effectiveDays = typeof days === 'number' ? days : typeof years === 'number' ? years * 365.25 : Number.NaN;
    return effectiveDays >= MIN_LOCK_DAYS ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
  'name',
  { value: parse(fileURLToPath(import.meta.url)).name },
);
