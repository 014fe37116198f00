/**
 * Browser credentials for Rekognition Face Liveness. The Amplify UI `FaceLivenessDetector`
 * streams the user's video straight to Rekognition (`StartFaceLivenessSession`, a WebSocket
 * signed with AWS credentials), so the browser needs short-lived credentials of its own:
 *
 *   user pool sign-in ──id token──> identity pool (authenticated identities only)
 *     ──AssumeRoleWithWebIdentity──> LivenessRole: rekognition:StartFaceLivenessSession, nothing else
 *
 * - No unauthenticated (guest) identities and no basic (classic) flow: only a signed-in user of
 *   this installation's user pool and web client gets credentials, and the server-side token
 *   check makes the identity pool ask Cognito whether the token is still valid.
 * - The role's trust policy accepts web identities of this pool only, and only authenticated ones.
 * - The role may call `rekognition:StartFaceLivenessSession` and nothing else. IAM cannot name
 *   a Face Liveness session (the action has no resource type or session condition key), so the
 *   binding of a session to its user and attempt is the backend's: it creates the session for
 *   the attempt (POST /v1/verifications/{id}/attempts, under the user's own verification), the
 *   session id is random and expires after 3 minutes, and the workflow reads the result only
 *   for the attempt that owns it. Holding these credentials lets a user stream a video into a
 *   session id they know; it grants no read of any result, image or other AWS resource.
 */
import { CfnOutput, Duration } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { KycConfig } from '../config.ts';

export interface LivenessIdentityProps {
  readonly config: KycConfig;
  /** The pool the applicants sign in with. */
  readonly userPool: cognito.IUserPool;
  /** The web client whose tokens the identity pool accepts. */
  readonly userPoolClient: cognito.IUserPoolClient;
}

/** The single action the browser role may call. */
export const LIVENESS_BROWSER_ACTIONS = ['rekognition:StartFaceLivenessSession'] as const;

/**
 * Cognito identity pool and role for the browser side of Face Liveness (see the module comment).
 *
 * @example
 * const liveness = new LivenessIdentity(this, 'LivenessIdentity', {
 *   config,
 *   userPool: api.userPool,
 *   userPoolClient: api.userPoolClient,
 * });
 * liveness.role.roleArn; // the only role the identity pool hands out
 */
export class LivenessIdentity extends Construct {
  public readonly identityPool: cognito.CfnIdentityPool;
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: LivenessIdentityProps) {
    super(scope, id);
    const { config, userPool, userPoolClient } = props;

    this.identityPool = new cognito.CfnIdentityPool(this, 'Pool', {
      identityPoolName: `${config.prefix.replace(/[^\w]/g, '_')}_liveness`,
      allowUnauthenticatedIdentities: false,
      allowClassicFlow: false,
      cognitoIdentityProviders: [
        {
          clientId: userPoolClient.userPoolClientId,
          providerName: userPool.userPoolProviderName,
          serverSideTokenCheck: true,
        },
      ],
    });

    this.role = new iam.Role(this, 'BrowserRole', {
      description: 'Browser credentials for Rekognition Face Liveness: StartFaceLivenessSession only',
      maxSessionDuration: Duration.hours(1),
      assumedBy: new iam.FederatedPrincipal(
        'cognito-identity.amazonaws.com',
        {
          StringEquals: { 'cognito-identity.amazonaws.com:aud': this.identityPool.ref },
          'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
        },
        'sts:AssumeRoleWithWebIdentity',
      ),
    });
    this.role.addToPolicy(new iam.PolicyStatement({ actions: [...LIVENESS_BROWSER_ACTIONS], resources: ['*'] }));
    NagSuppressions.addResourceSuppressions(
      this.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'rekognition:StartFaceLivenessSession has no resource type: IAM accepts only "*". The session is bound to its user and attempt by the backend that creates it and reads its result.',
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );

    new cognito.CfnIdentityPoolRoleAttachment(this, 'Roles', {
      identityPoolId: this.identityPool.ref,
      roles: { authenticated: this.role.roleArn },
    });
    // What a frontend configures Amplify with (README, "Face Liveness in AWS").
    new CfnOutput(this, 'IdentityPoolId', {
      description: 'Cognito identity pool of the Face Liveness browser credentials',
      value: this.identityPool.ref,
    });
  }
}
