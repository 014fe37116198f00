import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { functionId } from '../../lib/constructs/api.ts';
import { routeFor } from '../../lambdas/handlers/http/routes.ts';
import { synthKyc } from './synth.ts';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };
interface Statement {
  Effect?: string;
  Action: string | string[];
  Resource: unknown;
}

function renditionsBucket(template: Template): [string, Resource] {
  const buckets = Object.entries(template.findResources('AWS::S3::Bucket')) as [string, Resource][];
  const found = buckets.filter(([id]) => id.startsWith('BucketsRenditions'));
  if (found.length !== 1) throw new Error(`expected one renditions bucket, found ${found.length}`);
  return found[0]!;
}

/** Logical ids of the roles granted `action` on a resource whose reference matches `resource`. */
function rolesGranted(template: Template, action: string, resource: RegExp): string[] {
  const roles = new Set<string>();
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy')) as Resource[]) {
    const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    const grants = statements.some((statement) => {
      const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
      return (
        statement.Effect !== 'Deny' &&
        actions.some((candidate) => candidate === action || candidate === 's3:*' || candidate === '*') &&
        resource.test(JSON.stringify(statement.Resource))
      );
    });
    if (!grants) continue;
    for (const role of policy.Properties.Roles as Array<{ Ref: string }>)
      roles.add(role.Ref.replace(/Role[0-9A-F]{8}$/, ''));
  }
  return [...roles].sort();
}

const VIEW = `Api${functionId(routeFor('POST', '/v1/cases/{verificationId}/documents/{slot}/view'))}`;
const APPROVE = `Api${functionId(routeFor('POST', '/v1/exports/{exportId}/approve'))}`;
const DOWNLOAD = `Api${functionId(routeFor('GET', '/v1/exports/{exportId}/download'))}`;
/** The support view: reads one original to render a redacted thumbnail under `support/`. */
const SUPPORT = `Api${functionId(routeFor('GET', '/v1/support/verifications/{verificationId}'))}`;

describe('Evidence access infrastructure: renditions bucket, grants and keys', () => {
  const { dataTemplate, appTemplate } = synthKyc();

  it('keeps renditions in their own bucket, outside Object Lock, unversioned, deleted by lifecycle after 1 day', () => {
    // Act
    const [, bucket] = renditionsBucket(dataTemplate);

    // Assess
    expect(bucket.Properties.ObjectLockEnabled).toBeUndefined();
    expect(bucket.Properties.ObjectLockConfiguration).toBeUndefined();
    expect(bucket.Properties.VersioningConfiguration).toBeUndefined();
    expect(bucket.Properties.LifecycleConfiguration).toEqual({
      Rules: [
        expect.objectContaining({
          Status: 'Enabled',
          ExpirationInDays: 1,
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        }),
      ],
    });
    expect(bucket.DeletionPolicy).toBe('Retain');
  });

  it('encrypts renditions with the documents key and refuses writes under another encryption or key', () => {
    // Prepare
    const [id, bucket] = renditionsBucket(dataTemplate);

    // Act
    const encryption = JSON.stringify(bucket.Properties.BucketEncryption);
    const policies = Object.values(dataTemplate.findResources('AWS::S3::BucketPolicy')) as Resource[];
    const policy = policies.find(
      (candidate) => JSON.stringify(candidate.Properties.Bucket) === JSON.stringify({ Ref: id }),
    );
    const sids = ((policy?.Properties.PolicyDocument as { Statement: Array<{ Sid?: string }> }).Statement ?? []).map(
      (statement) => statement.Sid,
    );

    // Assess
    expect(encryption).toMatch(/"SSEAlgorithm":"aws:kms"/);
    expect(encryption).toMatch(/KeysDocuments/);
    expect(encryption).toMatch(/"BucketKeyEnabled":true/);
    expect(sids).toEqual(expect.arrayContaining(['DenyUploadsWithoutSseKms', 'DenyUploadsWithAnotherKmsKey']));
  });

  it('lets only the document-view, export-approval and support-thumbnail routes and the workflow read the vault', () => {
    // Act
    const readers = rolesGranted(appTemplate, 's3:GetObject', /BucketsVault/);

    // Assess
    const api = readers.filter((role) => role.startsWith('Api'));
    const others = readers.filter((role) => !role.startsWith('Api'));
    expect(api).toEqual([APPROVE, SUPPORT, VIEW].sort());
    expect(others.every((role) => role.startsWith('Workflow'))).toBe(true);
  });

  it('lets only the view, export and support routes touch the renditions bucket, each on its own prefix', () => {
    // Act
    const writers = rolesGranted(appTemplate, 's3:PutObject', /BucketsRenditions/);
    const readers = rolesGranted(appTemplate, 's3:GetObject', /BucketsRenditions/);
    const viewWrites = rolesGranted(appTemplate, 's3:PutObject', /BucketsRenditions.*\/views\/\*/);
    const exportWrites = rolesGranted(appTemplate, 's3:PutObject', /BucketsRenditions.*\/exports\/\*/);
    const supportWrites = rolesGranted(appTemplate, 's3:PutObject', /BucketsRenditions.*\/support\/\*/);

    // Assess
    expect(writers).toEqual([APPROVE, SUPPORT, VIEW].sort());
    expect(readers).toEqual([DOWNLOAD, SUPPORT, VIEW].sort());
    expect(viewWrites).toEqual([VIEW]);
    expect(exportWrites).toEqual([APPROVE]);
    expect(supportWrites).toEqual([SUPPORT]);
  });

  it('gives the watermark MAC (kms:GenerateMac on the HMAC key) only to the functions that mark or hash', () => {
    // Act
    const holders = rolesGranted(appTemplate, 'kms:GenerateMac', /KeysDocumentNumberHmac/);

    // Assess
    expect(holders.filter((role) => role.startsWith('Api'))).toEqual([APPROVE, SUPPORT, VIEW].sort());
    expect(holders.filter((role) => !role.startsWith('Api'))).toEqual(['WorkflowStepsDocumentData']);
  });

  it('bundles sharp and gives the image routes more memory', () => {
    // Act
    const functions = Object.values(appTemplate.findResources('AWS::Lambda::Function')) as Resource[];
    const view = functions.find(
      (fn) => fn.Properties.Description === 'serverless-kyc POST /v1/cases/{verificationId}/documents/{slot}/view',
    );

    // Assess
    expect(view?.Properties.MemorySize).toBe(1536);
    expect(view?.Properties.Environment).toEqual({
      Variables: expect.objectContaining({ RENDITIONS_BUCKET: expect.anything(), HMAC_KEY_ARN: expect.anything() }),
    });
  });
});
