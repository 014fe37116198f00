import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { functionId, ROUTE_THROTTLES } from '../../lib/constructs/api.ts';
import { HTTP_ROUTES } from '../../lambdas/handlers/http/routes.ts';
import { grantsOf } from './iam-grants.ts';
import { synthKyc } from './synth.ts';

const TABLE_KMS = (actions: string[]) => actions.map((action) => `${action} @ serviceKey [kms:ViaService=dynamodb]`);

/** Read and write the verifications table (access and export records) and append audit events. */
const RECORDS_AND_AUDIT = [
  'dynamodb:GetItem @ verifications',
  'dynamodb:PartiQLInsert @ auditEvents',
  'dynamodb:PutItem @ verifications',
  'dynamodb:Query @ auditEvents',
  'dynamodb:Query @ verifications',
  'dynamodb:UpdateItem @ verifications',
  ...TABLE_KMS(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']),
];

/** Object Lock of vault evidence: retention and legal hold read and set, never a delete. */
/** The per-user quota counter of an expensive route: UpdateItem on `ROUTE#` keys of the rate-limit table only. */
const ROUTE_QUOTA = ['dynamodb:UpdateItem @ rateLimits [dynamodb:LeadingKeys=["ROUTE#*"]]'];

const VAULT_LOCKS = ['GetObjectLegalHold', 'GetObjectRetention', 'PutObjectLegalHold', 'PutObjectRetention'].flatMap(
  (action) => [`s3:${action} @ vault/evidence/*`, `s3:${action} @ vault/liveness/*`],
);

const EXPECTED_GRANTS: Record<string, string[]> = {
  'GET /health': [],
  'POST /v1/verifications': [
    'dynamodb:GetItem @ rateLimits',
    'dynamodb:GetItem @ verifications',
    'dynamodb:PutItem @ rateLimits',
    'dynamodb:PartiQLInsert @ auditEvents',
    'dynamodb:PutItem @ verifications',
    'dynamodb:Query @ auditEvents',
    'dynamodb:Query @ verifications',
    'dynamodb:UpdateItem @ verifications',
    'kms:GenerateDataKey @ dataKey [kms:EncryptionContext:purpose=personal-data]',
    ...TABLE_KMS(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']),
  ],
  'POST /v1/verifications/{id}/attempts': [
    'dynamodb:GetItem @ rateLimits',
    'dynamodb:GetItem @ verifications',
    'dynamodb:PartiQLInsert @ auditEvents',
    'dynamodb:PutItem @ rateLimits',
    'dynamodb:PutItem @ verifications',
    'dynamodb:Query @ auditEvents',
    'dynamodb:Query @ verifications',
    'dynamodb:UpdateItem @ verifications',
    'kms:GenerateDataKey @ documentsKey [kms:ViaService=s3]',
    'rekognition:CreateFaceLivenessSession @ *',
    's3:PutObject @ intake/intake/*',
    's3:PutObject @ intake/liveness/*',
    ...TABLE_KMS(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']),
  ],
  'GET /v1/verifications/{id}': ['dynamodb:Query @ verifications', ...TABLE_KMS(['kms:Decrypt', 'kms:DescribeKey'])],
  'POST /v1/reviews/{verificationId}/decision': [
    'dynamodb:GetItem @ verifications',
    'dynamodb:PartiQLInsert @ auditEvents',
    'dynamodb:PutItem @ verifications',
    'dynamodb:Query @ auditEvents',
    'dynamodb:Query @ verifications',
    'dynamodb:UpdateItem @ verifications',
    'states:SendTaskSuccess @ workflow',
    ...TABLE_KMS(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']),
  ],
  'GET /v1/reviews': [
    'dynamodb:GetItem @ verifications',
    'dynamodb:Query @ verifications',
    'dynamodb:Query @ verifications/index/*',
    ...ROUTE_QUOTA,
    ...TABLE_KMS(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']),
  ],
  'POST /v1/verifications/{id}/reset': [
    'dynamodb:GetItem @ verifications',
    'dynamodb:PartiQLInsert @ auditEvents',
    'dynamodb:PutItem @ verifications',
    'dynamodb:Query @ auditEvents',
    'dynamodb:Query @ verifications',
    'dynamodb:UpdateItem @ verifications',
    ...TABLE_KMS(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']),
  ],
  'POST /v1/verifications/{id}/reset-requests/{requestId}/decision': [
    'dynamodb:GetItem @ verifications',
    'dynamodb:PartiQLInsert @ auditEvents',
    'dynamodb:PutItem @ verifications',
    'dynamodb:Query @ auditEvents',
    'dynamodb:Query @ verifications',
    'dynamodb:UpdateItem @ verifications',
    'events:PutEvents @ bus [events:source=serverless-kyc, events:detail-type=["Verification Status Changed"]]',
    ...TABLE_KMS(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']),
  ],
  // The view function reads vault originals and writes (and presigns) renditions, nothing else.
  'POST /v1/cases/{verificationId}/documents/{slot}/view': [
    ...RECORDS_AND_AUDIT,
    'kms:Decrypt @ documentsKey [kms:ViaService=s3]',
    'kms:GenerateDataKey @ documentsKey [kms:ViaService=s3]',
    'kms:GenerateMac @ hmacKey',
    's3:GetObject @ renditions/views/*',
    's3:GetObject @ vault/evidence/*',
    's3:GetObjectVersion @ vault/evidence/*',
    's3:PutObject @ renditions/views/*',
    ...ROUTE_QUOTA,
  ],
  'POST /v1/exports': [...RECORDS_AND_AUDIT, ...ROUTE_QUOTA],
  'GET /v1/exports/{exportId}': RECORDS_AND_AUDIT,
  'POST /v1/exports/{exportId}/approve': [
    ...RECORDS_AND_AUDIT,
    'kms:Decrypt @ dataKey [kms:EncryptionContext:purpose=personal-data]',
    'kms:Decrypt @ documentsKey [kms:ViaService=s3]',
    'kms:GenerateDataKey @ documentsKey [kms:ViaService=s3]',
    'kms:GenerateMac @ hmacKey',
    's3:GetObject @ vault/evidence/*',
    's3:GetObjectVersion @ vault/evidence/*',
    's3:PutObject @ renditions/exports/*',
    ...ROUTE_QUOTA,
  ],
  'POST /v1/exports/{exportId}/reject': RECORDS_AND_AUDIT,
  'GET /v1/exports/{exportId}/download': [
    ...RECORDS_AND_AUDIT,
    'kms:Decrypt @ documentsKey [kms:ViaService=s3]',
    's3:GetObject @ renditions/exports/*',
  ],
  'POST /v1/accounts/{userId}/close': [...RECORDS_AND_AUDIT, 'dynamodb:Query @ verifications/index/*', ...VAULT_LOCKS],
  'POST /v1/cases/{verificationId}/legal-hold': [...RECORDS_AND_AUDIT, ...VAULT_LOCKS],
  // The case list reads the indexes only: no GetItem, no base-table Query, never a Scan.
  'GET /v1/cases': ['dynamodb:Query @ verifications/index/*', ...TABLE_KMS(['kms:Decrypt', 'kms:DescribeKey'])],
  // The case view reads the case, appends its audit event and opens the personal data; it writes no record.
  'GET /v1/cases/{verificationId}': [
    'dynamodb:GetItem @ verifications',
    'dynamodb:PartiQLInsert @ auditEvents',
    'dynamodb:Query @ auditEvents',
    'dynamodb:Query @ verifications',
    'kms:Decrypt @ dataKey [kms:EncryptionContext:purpose=personal-data]',
    ...ROUTE_QUOTA,
    ...TABLE_KMS(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']),
  ],
  'POST /v1/cases/{verificationId}/claim': RECORDS_AND_AUDIT,
  'POST /v1/cases/{verificationId}/assign': RECORDS_AND_AUDIT,
  'POST /v1/cases/{verificationId}/notes': RECORDS_AND_AUDIT,
  // The audit trail: its read appended to the chain (PartiQL INSERT, never an overwrite), then read.
  'GET /v1/cases/{verificationId}/audit': [
    'dynamodb:GetItem @ verifications',
    'dynamodb:PartiQLInsert @ auditEvents',
    'dynamodb:Query @ auditEvents',
    'dynamodb:Query @ verifications',
    ...TABLE_KMS(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']),
  ],
  // The person's own data: records and personal data, vault originals read, a marked package written and presigned.
  'GET /v1/me/data': [
    ...RECORDS_AND_AUDIT,
    'dynamodb:Query @ verifications/index/*',
    'kms:Decrypt @ dataKey [kms:EncryptionContext:purpose=personal-data]',
    'kms:Decrypt @ documentsKey [kms:ViaService=s3]',
    'kms:GenerateDataKey @ documentsKey [kms:ViaService=s3]',
    'kms:GenerateMac @ hmacKey',
    's3:GetObject @ renditions/subject-access/*',
    's3:GetObject @ vault/evidence/*',
    's3:GetObjectVersion @ vault/evidence/*',
    's3:PutObject @ renditions/subject-access/*',
    ...ROUTE_QUOTA,
  ],
  // Erasure: lock state read (never set), versions deleted (S3 refuses locked ones), records and
  // counters deleted, the erased attempts' faces removed from the collection (no search, no index).
  'POST /v1/me/erasure': [
    ...RECORDS_AND_AUDIT,
    'dynamodb:DeleteItem @ rateLimits',
    'dynamodb:DeleteItem @ verifications',
    'dynamodb:Query @ verifications/index/*',
    'rekognition:DeleteFaces @ faceCollection',
    's3:DeleteObject @ intake/intake/*',
    's3:DeleteObject @ intake/liveness/*',
    's3:DeleteObjectVersion @ vault/evidence/*',
    's3:DeleteObjectVersion @ vault/liveness/*',
    's3:GetObjectLegalHold @ vault/evidence/*',
    's3:GetObjectLegalHold @ vault/liveness/*',
    's3:GetObjectRetention @ vault/evidence/*',
    's3:GetObjectRetention @ vault/liveness/*',
    's3:ListBucket @ intake [s3:prefix=["intake/*","liveness/*"]]',
    's3:ListBucketVersions @ vault [s3:prefix=["evidence/*","liveness/*"]]',
  ],
  // Support: reads one original to redact it (Rekognition on bytes), writes and presigns the thumbnail
  // under support/, decrypts only the first name's sealed record; no other rendition prefix.
  'GET /v1/support/verifications/{verificationId}': [
    ...RECORDS_AND_AUDIT,
    'kms:Decrypt @ dataKey [kms:EncryptionContext:purpose=personal-data]',
    'kms:Decrypt @ documentsKey [kms:ViaService=s3]',
    'kms:GenerateDataKey @ documentsKey [kms:ViaService=s3]',
    'kms:GenerateMac @ hmacKey',
    'rekognition:DetectFaces @ *',
    'rekognition:DetectText @ *',
    's3:GetObject @ renditions/support/*',
    's3:GetObject @ vault/evidence/*',
    's3:GetObjectVersion @ vault/evidence/*',
    's3:PutObject @ renditions/support/*',
    ...ROUTE_QUOTA,
  ],
  // Metrics: counter items by key and Query on the base table; no index, no Scan, no write.
  'GET /v1/metrics': [
    'dynamodb:GetItem @ verifications',
    'dynamodb:Query @ verifications',
    ...TABLE_KMS(['kms:Decrypt', 'kms:DescribeKey']),
  ],
};

describe('KycApi', () => {
  const { appTemplate } = synthKyc({ allowedOrigins: ['https://app.example.com'] });

  it.each(HTTP_ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))(
    'routes %s through its own function with the right authorizer',
    (routeKey, route) => {
      // Assess
      appTemplate.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: routeKey,
        AuthorizationType: route.public ? 'NONE' : 'JWT',
        ...(route.public ? {} : { AuthorizerId: Match.anyValue() }),
      });
      appTemplate.hasResourceProperties('AWS::Lambda::Function', {
        Description: `serverless-kyc ${routeKey}`,
        Handler: `index.${route.exportName}`,
      });
    },
  );

  it('grants no API function dynamodb:Scan: lists are served from indexes', () => {
    // Act
    const scans = HTTP_ROUTES.flatMap((route) =>
      grantsOf(appTemplate, `Api${functionId(route)}`)
        .filter((grant) => grant.startsWith('dynamodb:Scan'))
        .map((grant) => `${route.method} ${route.path}: ${grant}`),
    );

    // Assess
    expect(scans).toEqual([]);
  });

  it('authorizes with JWTs issued by the user pool for the web client', () => {
    // Assess
    appTemplate.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [{ Ref: Match.stringLikeRegexp('WebClient') }],
        Issuer: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
      },
    });
  });

  it.each(HTTP_ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))(
    'grants %s exactly what its code calls, without action wildcards',
    (routeKey, route) => {
      // Act
      const grants = grantsOf(appTemplate, `Api${functionId(route)}`);

      // Assess
      expect(grants).toEqual([...(EXPECTED_GRANTS[routeKey] ?? ['<route missing from EXPECTED_GRANTS>'])].sort());
      expect(grants.filter((grant) => grant.split(' @ ')[0]?.includes('*'))).toEqual([]);
    },
  );

  it('creates a user pool with self sign-up off, a strong password policy, optional MFA and threat protection', () => {
    // Assess
    appTemplate.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Policies: {
        PasswordPolicy: {
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        },
      },
      MfaConfiguration: 'OPTIONAL',
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      DeletionProtection: 'ACTIVE',
    });
  });

  it('gives no staff token without MFA: TOTP only, and a v2 pre-token-generation trigger that can look up MFA', () => {
    // Assess
    appTemplate.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      LambdaConfig: {
        PreTokenGenerationConfig: {
          LambdaArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ApiPreTokenGeneration'), 'Arn'] },
          LambdaVersion: 'V2_0',
        },
      },
    });
    appTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Description: Match.stringLikeRegexp('staff groups only with MFA'),
    });
    appTemplate.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'cognito-idp:AdminGetUser',
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('ApiUsers'), 'Arn'] },
          },
        ],
      },
      Roles: [{ Ref: Match.stringLikeRegexp('ApiPreTokenGeneration') }],
    });
  });

  it('has a public app client without OAuth flows by default, SRP sign-in, and users writing only locale', () => {
    // Assess
    appTemplate.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      AllowedOAuthFlowsUserPoolClient: false,
      AllowedOAuthFlows: Match.absent(),
      CallbackURLs: Match.absent(),
      WriteAttributes: ['locale'],
      EnableTokenRevocation: true,
    });
  });

  it('enables only the authorization code grant, with the configured callback URLs, when they are set', () => {
    // Prepare
    const { appTemplate: withCallbacks } = synthKyc({
      auth: { callbackUrls: ['https://app.example.com/callback'], logoutUrls: ['https://app.example.com/'] },
    });

    // Assess
    withCallbacks.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email'],
      CallbackURLs: ['https://app.example.com/callback'],
      LogoutURLs: ['https://app.example.com/'],
      GenerateSecret: false,
      WriteAttributes: ['locale'],
    });
  });

  it.each(['support', 'compliance_reviewer', 'compliance_approver', 'admin'])(
    'has a group for the %s role',
    (group) => {
      // Assess
      appTemplate.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: group });
    },
  );

  it('allows CORS only from the configured origins', () => {
    // Assess
    appTemplate.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({
        AllowOrigins: ['https://app.example.com'],
        AllowHeaders: Match.arrayWith(['authorization', 'idempotency-key']),
      }),
    });
    const { appTemplate: noOrigins } = synthKyc();
    noOrigins.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.absent() });
  });

  it('throttles the stage and writes access logs to a KMS-encrypted log group', () => {
    // Assess
    appTemplate.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ApiAccessLogs'), 'Arn'] },
        Format: Match.stringLikeRegexp('requestId'),
      },
    });
    const logGroups = appTemplate.findResources('AWS::Logs::LogGroup');
    const accessLogs = Object.entries(logGroups).find(([id]) => id.startsWith('ApiAccessLogs'))?.[1];
    expect(accessLogs?.Properties.KmsKeyId).toBeDefined();
  });

  it('lets only review-completing routes send task results, to the verification workflow only', () => {
    // Prepare
    const { appStack } = synthKyc({ allowedOrigins: ['https://app.example.com'] });

    // Act
    const states = HTTP_ROUTES.map((route) => ({
      route,
      grants: grantsOf(appTemplate, `Api${functionId(route)}`).filter((grant) => grant.startsWith('states:')),
    }));

    // Assess
    for (const { route, grants } of states) {
      expect(grants).toEqual(
        route.uses.includes('workflow:completeReview') ? ['states:SendTaskSuccess @ workflow'] : [],
      );
    }
    expect(() => appStack.api.useStateMachine(appStack.workflow.stateMachine)).toThrow(/already set/);
  });

  it('throttles the expensive routes tighter than the stage default, route by route', () => {
    // Act
    const stage = Object.values(appTemplate.findResources('AWS::ApiGatewayV2::Stage'))[0] as {
      Properties: {
        DefaultRouteSettings: Record<string, number>;
        RouteSettings: Record<string, Record<string, number>>;
      };
      DependsOn: string[];
    };

    // Assess
    expect(Object.keys(stage.Properties.RouteSettings).sort()).toEqual(Object.keys(ROUTE_THROTTLES).sort());
    for (const [routeKey, limit] of Object.entries(ROUTE_THROTTLES)) {
      expect(stage.Properties.RouteSettings[routeKey]).toEqual({
        ThrottlingRateLimit: limit.rateLimit,
        ThrottlingBurstLimit: limit.burstLimit,
      });
      expect(limit.rateLimit).toBeLessThan(stage.Properties.DefaultRouteSettings.ThrottlingRateLimit!);
    }
  });
});
