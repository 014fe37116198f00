/**
 * Who may read identity evidence, audit archives and personal data: allow-lists of named
 * function roles (plus one break-glass role) written into the vault and audit-archive bucket
 * policies and into the documents and personal-data key policies. Everyone else in the
 * account, administrators with `s3:*` and `kms:*` in their IAM policies included, is refused.
 */
import { Aws, Lazy, Names, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PERSONAL_DATA_CONTEXT } from './keys.ts';

/** Object read actions a bucket policy must cover (data, versions, attributes, torrents, restores). */
export const OBJECT_READ_ACTIONS = [
  's3:GetObject',
  's3:GetObjectVersion',
  's3:GetObjectAttributes',
  's3:GetObjectVersionAttributes',
  's3:GetObjectTorrent',
  's3:RestoreObject',
];

/** The allow-lists `EvidenceAccess` keeps. */
export type AccessList = 'vaultRead' | 'auditArchiveRead' | 'documentsDecrypt' | 'personalDataDecrypt';

export interface EvidenceAccessProps {
  /** Installation prefix; the default break-glass role is `<prefix>-break-glass` (required). */
  readonly prefix: string;
  /**
   * ARN of the break-glass role admitted to every allow-list (default:
   * `arn:<partition>:iam::<account>:role/<prefix>-break-glass`, which exists only once an
   * operator creates it — itself an IAM action logged by CloudTrail).
   */
  readonly breakGlassRoleArn?: string;
  readonly vault: s3.Bucket;
  readonly auditArchive: s3.Bucket;
  /** Key of the intake and vault buckets. */
  readonly documentsKey: kms.Key;
  /** Key of envelope-encrypted personal data. */
  readonly personalDataKey: kms.Key;
}

/**
 * Builds the deny-by-default statements once; the lists fill in lazily, so constructs of the app
 * stack (routes, workflow steps, exports) add their roles with `allowVaultRead(role)` and friends
 * after the data stack exists. Roles are named by ARN, not by reference: an allowed role gets a
 * fixed physical name (`<prefix>-<function id>-<hash>`) so the data stack never depends on the
 * app stack.
 *
 * @example
 * ```ts
 * data.access.allowVaultRead(documentView.role);          // GetObject on the vault + Decrypt on the documents key
 * data.access.allowPersonalDataDecrypt(documentData.role); // kms:Decrypt with purpose=personal-data
 * ```
 */
export class EvidenceAccess extends Construct {
  /** The break-glass role admitted to every list. */
  public readonly breakGlassRoleArn: string;
  private readonly prefix: string;
  private readonly lists: Record<AccessList, Set<string>> = {
    vaultRead: new Set(),
    auditArchiveRead: new Set(),
    documentsDecrypt: new Set(),
    personalDataDecrypt: new Set(),
  };

  constructor(scope: Construct, id: string, props: EvidenceAccessProps) {
    super(scope, id);
    this.prefix = props.prefix;
    this.breakGlassRoleArn =
      props.breakGlassRoleArn ?? `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${props.prefix}-break-glass`;

    for (const [bucket, list] of [
      [props.vault, 'vaultRead'],
      [props.auditArchive, 'auditArchiveRead'],
    ] as const) {
      bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'DenyReadsOutsideAllowList',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: OBJECT_READ_ACTIONS,
          resources: [bucket.arnForObjects('*')],
          conditions: { ArnNotLike: { 'aws:PrincipalArn': this.lazyList(list) } },
        }),
      );
    }
    props.documentsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyDecryptOutsideAllowList',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:Decrypt', 'kms:ReEncryptFrom'],
        resources: ['*'],
        conditions: { ArnNotLike: { 'aws:PrincipalArn': this.lazyList('documentsDecrypt') } },
      }),
    );
    props.personalDataKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DecryptPersonalDataByNamedRolesWithPurpose',
        principals: [new iam.AccountRootPrincipal()],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: { [PERSONAL_DATA_CONTEXT.key]: PERSONAL_DATA_CONTEXT.value },
          ArnLike: { 'aws:PrincipalArn': this.lazyList('personalDataDecrypt') },
        },
      }),
    );
  }

  /** Admits `role` to read vault objects (S3 GetObject and Decrypt on the documents key). */
  public allowVaultRead(role: iam.IRole): void {
    const arn = this.fixedArn(role);
    this.lists.vaultRead.add(arn);
    this.lists.documentsDecrypt.add(arn);
  }

  /** Admits `role` to decrypt documents-key objects outside the vault (the intake bucket). */
  public allowIntakeRead(role: iam.IRole): void {
    this.allowDocumentsKeyDecrypt(role);
  }

  /** Admits `role` to Decrypt with the documents key (intake uploads, renditions). */
  public allowDocumentsKeyDecrypt(role: iam.IRole): void {
    this.lists.documentsDecrypt.add(this.fixedArn(role));
  }

  /** Admits `role` to read the audit archive. */
  public allowAuditArchiveRead(role: iam.IRole): void {
    this.lists.auditArchiveRead.add(this.fixedArn(role));
  }

  /** Admits `role` to decrypt personal data (only with `purpose=personal-data`). */
  public allowPersonalDataDecrypt(role: iam.IRole): void {
    this.lists.personalDataDecrypt.add(this.fixedArn(role));
  }

  /** Role ARNs (break-glass last) on `list`, as written into the policies. */
  public members(list: AccessList): string[] {
    return [...[...this.lists[list]].sort(), this.breakGlassRoleArn];
  }

  private lazyList(list: AccessList): string[] {
    return Lazy.list({ produce: () => this.members(list) });
  }

  /**
   * Gives `role` a fixed physical name (when it has none) and returns its ARN, built from
   * the data stack's own account and partition.
   */
  private fixedArn(role: iam.IRole): string {
    const cfn = role.node.defaultChild;
    if (!(cfn instanceof iam.CfnRole)) {
      throw new Error(
        `EvidenceAccess: ${role.node.path} is not a role defined in this app; add its ARN by configuration`,
      );
    }
    if (typeof cfn.roleName !== 'string' || Token.isUnresolved(cfn.roleName) || cfn.roleName === '') {
      const owner = role.node.scope?.node.id ?? role.node.id;
      const hash = Names.uniqueId(role).slice(-8);
      cfn.roleName = `${this.prefix}-${owner}`.slice(0, 64 - 9) + `-${hash}`;
    }
    return `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${cfn.roleName}`;
  }
}
