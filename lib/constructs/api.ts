/**
 * The public HTTP API: a Cognito user pool with one group per staff role, an HTTP API with a
 * JWT authorizer on that pool, and one `KycFunction` per entry of `HTTP_ROUTES` (the same
 * table the local runtime routes by), each granted only what its route declares in `uses`.
 *
 * Identity choices (see README, Security):
 * - **Staff MFA by enforcement**: one pool, MFA optional for end customers (TOTP only, no
 *   SMS); a pre-token-generation trigger (event v2) removes the staff groups from the ID and
 *   access tokens of any user without TOTP enabled, so no staff token exists without MFA.
 * - **App client**: public (no secret), SRP sign-in; OAuth only with `auth.callbackUrls`
 *   configured, then authorization code grant only (PKCE; never implicit), otherwise no OAuth
 *   flows at all. Users may write `locale` only.
 * - **Access tokens only**: the authorizer's audience is the app client id (an access token's
 *   `client_id`); the handlers refuse any `token_use` other than `access` (an ID token carries
 *   the same issuer and `aud` = client id, so the authorizer alone would accept it).
 */
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { ENV } from '../../lambdas/adapters/aws/environment.ts';
import { API_CORS } from '../api-cors.ts';
import { HTTP_ROUTES, type HttpRoute, type RouteDependency } from '../../lambdas/handlers/http/routes.ts';
import type { Role } from '../../lambdas/domain/verification.ts';
import type { KycConfig } from '../config.ts';
import { dataResourceEnvironment, type KycDataResources } from '../stacks/data-stack.ts';
import { DataGrants } from './data-grants.ts';
import { KycFunction, logRetention, type KycFunctionShared } from './kyc-function.ts';

/** Cognito groups, one per staff role; a signed-in user in no group has the `user` role. */
export const STAFF_GROUPS: readonly Role[] = ['support', 'compliance_reviewer', 'compliance_approver', 'admin'];

/**
 * API Gateway throttling of the routes that cost most per call (KMS, DynamoDB writes, presigned
 * uploads, a Face Liveness session), tighter than the stage default so a flood on them cannot
 * take the whole API's quota. Per user, the attempts route is also limited in code
 * (`rateLimits.attemptsPerWindow`, DynamoDB rate-limit table).
 */
export const ROUTE_THROTTLES: Readonly<Record<string, { readonly rateLimit: number; readonly burstLimit: number }>> = {
  'POST /v1/verifications': { rateLimit: 10, burstLimit: 20 },
  'POST /v1/verifications/{id}/attempts': { rateLimit: 10, burstLimit: 20 },
};

export interface KycApiProps {
  readonly config: KycConfig;
  readonly data: KycDataResources;
  readonly shared: KycFunctionShared;
  /** Routes to deploy (`HTTP_ROUTES`). */
  readonly routes?: readonly HttpRoute[];
  /** Let anyone create an account (false: users are created by the integrating platform or an admin). */
  readonly selfSignUp?: boolean;
  /**
   * Cognito feature plan (PLUS: threat protection blocks compromised credentials and risky
   * sign-ins). ESSENTIALS is cheaper; choose it only knowingly.
   */
  readonly featurePlan?: cognito.FeaturePlan;
  /** The verification workflow, for review-completing routes; can also be given later with `useStateMachine` (none). */
  readonly stateMachine?: sfn.IStateMachine;
  /** Steady-state requests per second across the API (50). */
  readonly throttleRateLimit?: number;
  /** Burst capacity in requests (100). */
  readonly throttleBurstLimit?: number;
  /** Tighter throttling of single routes, keyed `"<METHOD> <path>"` (`ROUTE_THROTTLES`). */
  readonly routeThrottles?: Readonly<Record<string, { readonly rateLimit: number; readonly burstLimit: number }>>;
}

/**
 * @example
 * ```ts
 * const api = new KycApi(this, 'Api', { config, data, shared: this.functionShared });
 * api.functions.get('POST /v1/verifications'); // the KycFunction of that route
 * ```
 */
export class KycApi extends Construct {
  public readonly userPool: cognito.UserPool;
  public readonly userPoolClient: cognito.UserPoolClient;
  public readonly httpApi: apigw.HttpApi;
  public readonly accessLogs: logs.LogGroup;
  /** Function of each route, keyed `"<METHOD> <path>"`. */
  public readonly functions: ReadonlyMap<string, KycFunction>;
  private stateMachine: sfn.IStateMachine | undefined;
  private readonly routes: readonly HttpRoute[];

  constructor(scope: Construct, id: string, props: KycApiProps) {
    super(scope, id);
    const { config, data, shared } = props;
    this.routes = props.routes ?? HTTP_ROUTES;
    this.stateMachine = props.stateMachine;

    this.userPool = new cognito.UserPool(this, 'Users', {
      userPoolName: `${config.prefix}-users`,
      selfSignUpEnabled: props.selfSignUp ?? false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: props.featurePlan ?? cognito.FeaturePlan.PLUS,
      ...((props.featurePlan ?? cognito.FeaturePlan.PLUS) === cognito.FeaturePlan.PLUS
        ? { standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION }
        : {}),
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const role of STAFF_GROUPS) {
      new cognito.CfnUserPoolGroup(this, `Group-${role}`, {
        userPoolId: this.userPool.userPoolId,
        groupName: role,
        description: `serverless-kyc role ${role}`,
      });
    }
    const preTokenGeneration = new KycFunction(this, 'PreTokenGeneration', {
      shared,
      entry: fileURLToPath(new URL('../../lambdas/handlers/auth/pre-token-generation.ts', import.meta.url)),
      description: 'serverless-kyc staff groups only with MFA (Cognito pre token generation v2)',
    });
    this.userPool.addTrigger(
      cognito.UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG,
      preTokenGeneration.fn,
      cognito.LambdaVersion.V2_0,
    );
    // A separate policy (not the role's default policy, on which the function depends): the
    // pool depends on the function, and this policy on the pool, without a cycle.
    new iam.Policy(this, 'PreTokenGenerationLookup', {
      roles: [preTokenGeneration.role],
      statements: [
        new iam.PolicyStatement({ actions: ['cognito-idp:AdminGetUser'], resources: [this.userPool.userPoolArn] }),
      ],
    });
    const { callbackUrls, logoutUrls } = config.auth;
    this.userPoolClient = this.userPool.addClient('WebClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      ...(callbackUrls.length === 0
        ? { disableOAuth: true }
        : {
            oAuth: {
              flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
              scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
              callbackUrls: [...callbackUrls],
              ...(logoutUrls.length > 0 ? { logoutUrls: [...logoutUrls] } : {}),
            },
          }),
      readAttributes: new cognito.ClientAttributes().withStandardAttributes({
        email: true,
        emailVerified: true,
        locale: true,
      }),
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ locale: true }),
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(1),
      enableTokenRevocation: true,
    });

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      encryptionKey: shared.logKey,
      retention: logRetention(config.retention.logDays),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      apiName: `${config.prefix}-api`,
      description: 'serverless-kyc public API (v1)',
      createDefaultStage: false,
      corsPreflight:
        config.allowedOrigins.length === 0
          ? undefined
          : {
              allowOrigins: [...config.allowedOrigins],
              allowMethods: API_CORS.allowMethods.map((method) => apigw.CorsHttpMethod[method]),
              allowHeaders: [...API_CORS.allowHeaders],
              exposeHeaders: [...API_CORS.exposeHeaders],
              maxAge: Duration.seconds(API_CORS.maxAgeSeconds),
            },
    });
    const stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRateLimit ?? 50, burstLimit: props.throttleBurstLimit ?? 100 },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        // Ids and outcomes only: no headers, no bodies, no tokens.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            integrationLatency: '$context.integrationLatency',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });

    const authorizer = new HttpUserPoolAuthorizer('CognitoJwt', this.userPool, {
      userPoolClients: [this.userPoolClient],
    });
    const grants = new DataGrants(data);
    const functions = new Map<string, KycFunction>();
    for (const route of this.routes) {
      const key = `${route.method} ${route.path}`;
      const fn = new KycFunction(this, functionId(route), {
        shared,
        entry: fileURLToPath(new URL(`../../${route.entry}`, import.meta.url)),
        handler: route.exportName,
        // Names grant nothing: every function knows every data resource, and is granted only what it uses.
        environment: dataResourceEnvironment(data),
        description: `serverless-kyc ${key}`,
        ...(route.nodeModules ? { nodeModules: route.nodeModules } : {}),
        ...(route.memorySize ? { memorySize: route.memorySize } : {}),
      });
      grantRoute(route, fn, grants, config, () => this.stateMachine);
      this.httpApi.addRoutes({
        path: route.path,
        methods: [route.method as apigw.HttpMethod],
        integration: new HttpLambdaIntegration(`${functionId(route)}Integration`, fn.fn),
        authorizer: route.public ? new apigw.HttpNoneAuthorizer() : authorizer,
      });
      functions.set(key, fn);
    }
    this.functions = functions;
    this.throttleRoutes(stage, props.routeThrottles ?? ROUTE_THROTTLES);

    this.suppressJustifiedFindings(props.routes ?? HTTP_ROUTES);
  }

  /**
   * Gives the routes that complete review tasks (`workflow:completeReview`) the verification
   * workflow: `STATE_MACHINE_ARN` and states:SendTaskSuccess on that state machine only.
   */
  public useStateMachine(stateMachine: sfn.IStateMachine): void {
    if (this.stateMachine) throw new Error('KycApi: the state machine is already set');
    this.stateMachine = stateMachine;
    for (const route of this.routes.filter((candidate) => candidate.uses.includes('workflow:completeReview'))) {
      const fn = this.functions.get(`${route.method} ${route.path}`);
      if (!fn) continue;
      fn.fn.addEnvironment(ENV.stateMachineArn, stateMachine.stateMachineArn);
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [stateMachine.stateMachineArn] }),
      );
    }
  }

  /** Writes per-route throttling into the stage; the stage then depends on those routes. */
  private throttleRoutes(
    stage: apigw.HttpStage,
    throttles: Readonly<Record<string, { readonly rateLimit: number; readonly burstLimit: number }>>,
  ): void {
    const stack = Stack.of(this);
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const [routeKey, limit] of Object.entries(throttles)) {
      const route = this.httpApi.node
        .findAll()
        .find((child) => child instanceof apigw.CfnRoute && stack.resolve(child.routeKey) === routeKey);
      if (!route) continue;
      routeSettings[routeKey] = { ThrottlingRateLimit: limit.rateLimit, ThrottlingBurstLimit: limit.burstLimit };
      stage.node.addDependency(route);
    }
    (stage.node.defaultChild as apigw.CfnStage).addPropertyOverride('RouteSettings', routeSettings);
  }

  /** The API's base URL. */
  public get url(): string {
    return this.httpApi.apiEndpoint;
  }

  private suppressJustifiedFindings(routes: readonly HttpRoute[]): void {
    NagSuppressions.addResourceSuppressions(this.userPool, [
      {
        id: 'AwsSolutions-COG2',
        reason:
          'MFA is OPTIONAL (TOTP) for end customers of the integrating platform, who verify once; ' +
          'staff groups are withheld from every token of a user without TOTP by the pre-token-generation trigger. ' +
          'Threat protection (PLUS plan) is on by default.',
      },
    ]);
    const stack = Stack.of(this);
    for (const route of routes.filter((candidate) => candidate.public)) {
      const routeConstruct = this.httpApi.node
        .findAll()
        .find(
          (child) =>
            child instanceof apigw.CfnRoute && stack.resolve(child.routeKey) === `${route.method} ${route.path}`,
        );
      if (routeConstruct) {
        NagSuppressions.addResourceSuppressions(routeConstruct, [
          {
            id: 'AwsSolutions-APIG4',
            reason:
              route.publicReason ??
              `${route.method} ${route.path} is the public health probe; it reads no data and returns a constant.`,
          },
        ]);
      }
    }
  }
}

/** Construct id of a route's function, e.g. `PostV1VerificationsIdAttempts`. */
export function functionId(route: Pick<HttpRoute, 'method' | 'path'>): string {
  const words = [route.method.toLowerCase(), ...route.path.split(/[^A-Za-z0-9]+/)].filter((word) => word.length > 0);
  return words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
}

/** Grants exactly what a route's `uses` declare. */
function grantRoute(
  route: HttpRoute,
  fn: KycFunction,
  grants: DataGrants,
  config: KycConfig,
  stateMachine: () => sfn.IStateMachine | undefined,
): void {
  const role = fn.role;
  const grant: Record<RouteDependency, () => void> = {
    'verifications:read': () => grants.verificationsRead(role),
    'verifications:query': () => grants.verificationsQuery(role),
    'verifications:queryIndexes': () => grants.verificationsQueryIndexes(role),
    'events:publish': () => grants.busPublish(role),
    'workflow:completeReview': () => {
      const machine = stateMachine();
      if (!machine) return; // granted by `useStateMachine` once the workflow exists
      fn.fn.addEnvironment(ENV.stateMachineArn, machine.stateMachineArn);
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: [machine.stateMachineArn] }),
      );
    },
    'verifications:write': () => grants.verificationsWrite(role),
    'vault:readEvidence': () => grants.vaultReadEvidence(role),
    'renditions:views': () => {
      grants.renditionsWrite(role, 'views');
      grants.renditionsPresign(role, 'views');
    },
    'renditions:support': () => {
      grants.renditionsWrite(role, 'support');
      grants.renditionsPresign(role, 'support');
    },
    'rekognition:detectFacesAndText': () => {
      // DetectFaces and DetectText on image bytes support no resource-level permissions: "*" is the only form.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['rekognition:DetectFaces', 'rekognition:DetectText'], resources: ['*'] }),
      );
      NagSuppressions.addResourceSuppressions(
        role,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason: 'rekognition:DetectFaces and DetectText on image bytes support no resource-level permissions.',
            appliesTo: ['Resource::*'],
          },
        ],
        true,
      );
    },
    'renditions:writeExports': () => grants.renditionsWrite(role, 'exports'),
    'renditions:readExports': () => grants.renditionsPresign(role, 'exports'),
    'watermark:mac': () => grants.watermarkMac(role),
    'personalData:open': () => grants.personalDataOpen(role),
    'vault:lockEvidence': () => grants.vaultLockEvidence(role),
    'vault:readLocks': () => grants.vaultReadLocks(role),
    'vault:deleteEvidence': () => grants.vaultDeleteEvidence(role),
    'verifications:delete': () => grants.verificationsDelete(role),
    'rateLimits:erase': () => grants.rateLimitsErase(role),
    'intake:eraseLeftovers': () => grants.intakeEraseLeftovers(role),
    'faces:remove': () => grants.facesRemove(role),
    'renditions:subjectAccess': () => {
      grants.renditionsWrite(role, 'subject-access');
      grants.renditionsPresign(role, 'subject-access');
    },
    'audit:append': () => grants.auditAppend(role),
    'audit:read': () => grants.auditRead(role),
    'rateLimits:readWrite': () => grants.rateLimitsReadWrite(role),
    'rateLimits:routeQuota': () => grants.rateLimitsRouteQuota(role),
    'dataKey:generate': () => grants.personalDataSeal(role),
    'intake:presign': () => grants.intakePresign(role),
    'liveness:createSession': () => {
      if (!config.features.liveness) return;
      // Rekognition Face Liveness has no resource-level permissions: "*" is the only resource form.
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['rekognition:CreateFaceLivenessSession'], resources: ['*'] }),
      );
      // The session writes its reference and audit images into the vault with the caller's rights.
      grants.livenessImagesWrite(role);
      NagSuppressions.addResourceSuppressions(
        role,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason: 'rekognition:CreateFaceLivenessSession supports no resource-level permissions.',
            appliesTo: ['Resource::*'],
          },
        ],
        true,
      );
    },
  };
  for (const use of route.uses) grant[use]();
}
