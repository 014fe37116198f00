/**
 * The edge of an installation: one CloudFront distribution that can
 * - host the compliance console (`consoleHosting.enabled`): `web/console/` in a private S3
 *   bucket read only by this distribution through origin access control (OAC), a generated
 *   `config.json` (API on the same origin, Cognito hosted UI with PKCE), and a response headers
 *   policy with a strict CSP (no inline script or style) and the usual security headers;
 * - put AWS WAF in front of the API (`apiWaf.enabled`): the HTTP API cannot take a web ACL
 *   itself, so `/v1/*` and `/health` go through the distribution, whose web ACL (scope
 *   CLOUDFRONT, which AWS keeps in us-east-1) is `apiWaf.webAclArn` or the one of the
 *   `<prefix>-waf` stack (`KycWafStack`).
 *
 * The API behaviours never cache and pass every viewer header but Host (the JWT included), so
 * the API answers exactly as on its own endpoint. The execute-api endpoint itself stays
 * reachable: an HTTP API has no resource policy to accept CloudFront only (see the README).
 *
 * @example
 * ```ts
 * const edge = new KycEdge(this, 'Edge', { config, api, renditionsBucket: data.buckets.renditions });
 * edge.distribution.distributionDomainName; // the console and the API, https only
 * ```
 */
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as deployment from 'aws-cdk-lib/aws-s3-deployment';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ConfigError, type KycConfig } from '../config.ts';
import { contentSecurityPolicy } from '../console-security-headers.ts';
import type { KycApi } from './api.ts';
import { SECURE_BUCKET_DEFAULTS, tagDataClass } from './bucket-security.ts';

/** Where the console's files are, relative to the repository root. */
export const CONSOLE_SOURCE_DIR = fileURLToPath(new URL('../../web/console/', import.meta.url));

/** Paths of the API that the distribution forwards (everything else is the console). */
export const API_PATH_PATTERNS = ['/v1/*', '/health'] as const;

export interface KycEdgeProps {
  /** Resolved configuration: `consoleHosting`, `apiWaf`, `auth`, `prefix` (required). */
  readonly config: KycConfig;
  /** The HTTP API, its user pool and JWT authorizer (required). */
  readonly api: KycApi;
  /** The renditions bucket, whose presigned document views the console shows (`img-src`) (required). */
  readonly renditionsBucket: s3.IBucket;
  /** Web ACL (scope CLOUDFRONT) to attach when `apiWaf.enabled` (required then). */
  readonly webAclArn?: string;
  /** Folder with the console's files (`web/console/`). */
  readonly consoleSourceDir?: string;
}

/**
 * The Content-Security-Policy of the console: its own scripts and styles only (no inline code,
 * no eval), API calls to its own origin (the API is behind the same distribution) and the
 * Cognito hosted UI's token endpoint, images from its origin, `data:` and the renditions bucket.
 *
 * @example
 * ```ts
 * consoleCsp({ cognitoOrigin: 'https://kyc.auth.eu-west-1.amazoncognito.com', imageOrigins: ['https://b.s3.eu-west-1.amazonaws.com'] });
 * ```
 */
export function consoleCsp(options: { cognitoOrigin: string; imageOrigins: readonly string[] }): string {
  return contentSecurityPolicy({ img: ['data:', ...options.imageOrigins], connect: [options.cognitoOrigin] });
}

/**
 * The distribution, and with `consoleHosting.enabled` the console's bucket, sign-in domain,
 * app client and deployment (see the file comment).
 *
 * @example
 * ```ts
 * new KycEdge(appStack, 'Edge', { config, api: appStack.api, renditionsBucket, webAclArn });
 * ```
 */
export class KycEdge extends Construct {
  public readonly distribution: cloudfront.Distribution;
  /** The console's bucket (when `consoleHosting.enabled`). */
  public readonly siteBucket?: s3.Bucket;
  /** The console's app client (authorization code + PKCE, callback = the distribution). */
  public readonly consoleClient?: cognito.UserPoolClient;
  /** The hosted-UI domain the console signs in with. */
  public readonly signInDomain?: cognito.UserPoolDomain;
  /** Standard access logs of the distribution. */
  public readonly logBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: KycEdgeProps) {
    super(scope, id);
    const { config, api } = props;
    const stack = Stack.of(this);
    if (config.apiWaf.enabled && !props.webAclArn) {
      throw new ConfigError(['apiWaf.enabled needs a web ACL: apiWaf.webAclArn, or the <prefix>-waf stack']);
    }

    this.logBucket = new s3.Bucket(this, 'Logs', {
      ...SECURE_BUCKET_DEFAULTS,
      // CloudFront standard logging writes with an ACL: the bucket must accept ACLs.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [{ expiration: Duration.days(config.retention.logDays) }],
    });
    tagDataClass(this.logBucket, 'access-logs');

    const apiOrigin = new origins.HttpOrigin(`${api.httpApi.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
    });
    const apiHeaders = new cloudfront.ResponseHeadersPolicy(this, 'ApiHeaders', {
      comment: 'serverless-kyc API: security headers (the API sets its own content type and caching)',
      securityHeadersBehavior: {
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });
    const apiBehavior: cloudfront.BehaviorOptions = {
      origin: apiOrigin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy: apiHeaders,
    };

    let defaultBehavior: cloudfront.BehaviorOptions = apiBehavior;
    let signInOrigin: string | undefined;
    if (config.consoleHosting.enabled) {
      const sourceDir = props.consoleSourceDir ?? CONSOLE_SOURCE_DIR;
      if (!existsSync(sourceDir) || !statSync(sourceDir).isDirectory()) {
        throw new ConfigError([`consoleHosting.enabled: the console's files are missing (${sourceDir})`]);
      }
      this.siteBucket = new s3.Bucket(this, 'Site', {
        ...SECURE_BUCKET_DEFAULTS,
        // OAC reads SSE-S3 objects without a key grant; the console's files are public code anyway.
        encryption: s3.BucketEncryption.S3_MANAGED,
        versioned: true,
        removalPolicy: RemovalPolicy.DESTROY,
        autoDeleteObjects: false,
        serverAccessLogsBucket: this.logBucket,
        serverAccessLogsPrefix: 'site-access/',
        lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
      });
      tagDataClass(this.siteBucket, 'static-site');
      this.signInDomain = api.userPool.addDomain('ConsoleSignIn', {
        cognitoDomain: { domainPrefix: config.consoleHosting.cognitoDomainPrefix! },
      });
      signInOrigin = `https://${config.consoleHosting.cognitoDomainPrefix}.auth.${stack.region}.amazoncognito.com`;
      const headers = new cloudfront.ResponseHeadersPolicy(this, 'ConsoleHeaders', {
        comment: 'serverless-kyc console: strict CSP without inline scripts, no framing, no referrer',
        securityHeadersBehavior: {
          contentSecurityPolicy: {
            contentSecurityPolicy: consoleCsp({
              cognitoOrigin: signInOrigin,
              imageOrigins: [`https://${props.renditionsBucket.bucketRegionalDomainName}`],
            }),
            override: true,
          },
          strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
          contentTypeOptions: { override: true },
          frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
          referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        },
        customHeadersBehavior: {
          customHeaders: [
            { header: 'Cross-Origin-Opener-Policy', value: 'same-origin', override: true },
            {
              header: 'Permissions-Policy',
              value: 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
              override: true,
            },
          ],
        },
      });
      defaultBehavior = {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.siteBucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
      };
    }

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `serverless-kyc ${config.prefix}: ${[
        config.consoleHosting.enabled ? 'console' : undefined,
        'API',
        config.apiWaf.enabled ? 'behind AWS WAF' : undefined,
      ]
        .filter(Boolean)
        .join(', ')}`,
      defaultBehavior,
      additionalBehaviors: config.consoleHosting.enabled
        ? Object.fromEntries(API_PATH_PATTERNS.map((pattern) => [pattern, apiBehavior]))
        : {},
      ...(config.consoleHosting.enabled ? { defaultRootObject: 'index.html' } : {}),
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
      ...(props.webAclArn ? { webAclId: props.webAclArn } : {}),
    });
    const origin = `https://${this.distribution.distributionDomainName}`;
    new CfnOutput(this, 'Url', { value: `${origin}/`, description: 'The console (when hosted) and the API (/v1/*)' });

    if (config.consoleHosting.enabled && this.siteBucket && signInOrigin) {
      this.consoleClient = api.userPool.addClient('ConsoleClient', {
        generateSecret: false,
        authFlows: {},
        oAuth: {
          flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
          scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
          callbackUrls: [`${origin}/`],
          logoutUrls: [`${origin}/`],
        },
        supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
        preventUserExistenceErrors: true,
        accessTokenValidity: Duration.hours(1),
        idTokenValidity: Duration.hours(1),
        refreshTokenValidity: Duration.days(1),
        enableTokenRevocation: true,
      });
      this.acceptTokensOf(api, this.consoleClient);
      new deployment.BucketDeployment(this, 'ConsoleFiles', {
        destinationBucket: this.siteBucket,
        sources: [
          deployment.Source.asset(props.consoleSourceDir ?? CONSOLE_SOURCE_DIR, { exclude: ['config.json'] }),
          // The console on this origin: the API through the same distribution, sign-in with the hosted UI.
          deployment.Source.jsonData('config.json', {
            apiBaseUrl: '',
            auth: {
              mode: 'cognito',
              domain: signInOrigin,
              clientId: this.consoleClient.userPoolClientId,
              redirectUri: `${origin}/`,
              logoutUri: `${origin}/`,
              scopes: ['openid', 'email'],
            },
          }),
        ],
        distribution: this.distribution,
        distributionPaths: ['/*'],
        prune: true,
        memoryLimit: 256,
      });
      new CfnOutput(this, 'SignInDomain', { value: signInOrigin, description: 'Cognito hosted UI of the console' });
      // The deployment's provider: one function per stack that CDK defines and owns.
      for (const provider of stack.node.children.filter((child) =>
        child.node.id.startsWith('Custom::CDKBucketDeployment'),
      )) {
        NagSuppressions.addResourceSuppressions(
          provider,
          [
            {
              id: 'AwsSolutions-L1',
              reason:
                "CDK's BucketDeployment provider: its runtime is chosen and upgraded by aws-cdk-lib, not by this project.",
            },
            {
              id: 'AwsSolutions-IAM4',
              reason:
                "CDK's BucketDeployment provider writes its logs with AWSLambdaBasicExecutionRole; it runs only during deployments.",
              appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
            },
            {
              id: 'AwsSolutions-IAM5',
              reason:
                "CDK's BucketDeployment provider copies the console's files from the CDK asset bucket into the site bucket " +
                '(object-level s3 actions on those two buckets only) and invalidates the distribution (CloudFront ' +
                'invalidations support no resource-level permissions). It holds no grant on any data of the installation.',
              appliesTo: [
                'Action::s3:GetBucket*',
                'Action::s3:GetObject*',
                'Action::s3:List*',
                'Action::s3:Abort*',
                'Action::s3:DeleteObject*',
                'Resource::*',
                { regex: '/^Resource::arn:.*:s3:::cdk-[a-z0-9]+-assets-.*\\/\\*$/g' },
                { regex: '/^Resource::<.*Site[0-9A-F]{8}\\.Arn>\\/\\*$/g' },
              ],
            },
          ],
          true,
        );
      }
    }
    this.suppressFindings(config);
  }

  /** The HTTP API's JWT authorizer accepts access tokens of `client` as well (audience = client ids). */
  private acceptTokensOf(api: KycApi, client: cognito.UserPoolClient): void {
    const authorizers = api.httpApi.node
      .findAll()
      .filter((construct): construct is apigwv2.CfnAuthorizer => construct instanceof apigwv2.CfnAuthorizer);
    for (const authorizer of authorizers) {
      const jwt = authorizer.jwtConfiguration as apigwv2.CfnAuthorizer.JWTConfigurationProperty | undefined;
      const audience = [...((jwt?.audience as string[] | undefined) ?? []), client.userPoolClientId];
      authorizer.jwtConfiguration = { ...jwt, audience };
    }
  }

  private suppressFindings(config: KycConfig): void {
    NagSuppressions.addResourceSuppressions(this.logBucket, [
      {
        id: 'AwsSolutions-S1',
        reason:
          'This bucket receives the access logs of the distribution and the site bucket; logging it to itself would loop.',
      },
    ]);
    const distributionFindings = [
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'Applicants and staff may connect from any country; data residency concerns where data is stored (one region), not who may reach the API.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The distribution uses the *.cloudfront.net certificate, with which CloudFront cannot enforce a minimum viewer TLS version; ' +
          'TLS_V1_2_2021 is set and applies as soon as an operator adds a custom domain and certificate (README, "Console hosting").',
      },
    ];
    if (!config.apiWaf.enabled) {
      distributionFindings.push({
        id: 'AwsSolutions-CFR2',
        reason:
          'AWS WAF is optional and off by default (cost); enable it with apiWaf.enabled (README, "Security"). The API keeps its own ' +
          'throttling and per-user quotas without it.',
      });
    }
    NagSuppressions.addResourceSuppressions(this.distribution, distributionFindings);
  }
}
