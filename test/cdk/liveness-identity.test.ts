import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { synthKyc } from './synth.ts';

type Resource = { Type: string; Properties: Record<string, unknown> };

describe('LivenessIdentity: browser credentials for Face Liveness', () => {
  const { appTemplate, appStack } = synthKyc();
  const logicalId = (construct: { node: { defaultChild?: unknown } }): string =>
    appStack.getLogicalId(construct.node.defaultChild as never);
  const pool = appStack.livenessIdentity!.identityPool;
  const role = appStack.livenessIdentity!.role;

  it('has an identity pool for signed-in users of the web client only', () => {
    // Assess
    appTemplate.resourceCountIs('AWS::Cognito::IdentityPool', 1);
    appTemplate.hasResourceProperties('AWS::Cognito::IdentityPool', {
      AllowUnauthenticatedIdentities: false,
      AllowClassicFlow: false,
      CognitoIdentityProviders: [
        {
          ClientId: { Ref: Match.stringLikeRegexp('ApiUsersWebClient') },
          ProviderName: { 'Fn::GetAtt': [Match.stringLikeRegexp('ApiUsers'), 'ProviderName'] },
          ServerSideTokenCheck: true,
        },
      ],
    });
  });

  it('hands out one role, to authenticated identities only', () => {
    // Assess
    const attachments = Object.values(
      appTemplate.findResources('AWS::Cognito::IdentityPoolRoleAttachment'),
    ) as Resource[];
    expect(attachments).toHaveLength(1);
    expect(attachments[0]?.Properties).toEqual({
      IdentityPoolId: { Ref: appStack.getLogicalId(pool) },
      Roles: { authenticated: { 'Fn::GetAtt': [logicalId(role), 'Arn'] } },
    });
  });

  it('trusts web identities of this pool with amr "authenticated" only', () => {
    // Assess
    const resource = appTemplate.toJSON().Resources[logicalId(role)] as Resource;
    expect(resource.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRoleWithWebIdentity',
          Principal: { Federated: 'cognito-identity.amazonaws.com' },
          Condition: {
            StringEquals: { 'cognito-identity.amazonaws.com:aud': { Ref: appStack.getLogicalId(pool) } },
            'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
          },
        },
      ],
    });
    expect(resource.Properties.ManagedPolicyArns).toBeUndefined();
    expect(resource.Properties.MaxSessionDuration).toBe(3600);
  });

  it('may call rekognition:StartFaceLivenessSession and nothing else', () => {
    // Prepare: every policy statement attached to the role
    const policies = Object.values(appTemplate.findResources('AWS::IAM::Policy')) as Resource[];
    const statements = policies
      .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((entry) => entry.Ref === logicalId(role)))
      .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement);

    // Assess
    expect(statements).toEqual([{ Effect: 'Allow', Action: 'rekognition:StartFaceLivenessSession', Resource: '*' }]);
  });

  it('is not created when the liveness feature is off', () => {
    // Act
    const off = synthKyc({ features: { liveness: false } });

    // Assess
    off.appTemplate.resourceCountIs('AWS::Cognito::IdentityPool', 0);
    expect(off.appStack.livenessIdentity).toBeUndefined();
  });
});
