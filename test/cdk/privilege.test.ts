/**
 * Least privilege across both stacks, as an outside reviewer would check it: for each key the
 * exact set of roles that may Decrypt (key policy AND identity policies), the evidence bucket
 * allow-lists, key administration without key use, audit writes that cannot overwrite, and
 * PutEvents only with our source.
 */
import { describe, expect, it } from 'vitest';
import { OBJECT_READ_ACTIONS } from '../../lib/constructs/evidence-access.ts';
import { synthKyc } from './synth.ts';

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}

const { dataTemplate, appTemplate } = synthKyc({
  features: { webhooks: true },
  webhookUrl: 'https://hooks.example.com',
});
const dataResources = dataTemplate.toJSON().Resources as Record<string, Resource>;
const appResources = appTemplate.toJSON().Resources as Record<string, Resource>;

const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

/** The KMS key resource of the data stack whose logical id starts with `Keys<name>`. */
function keyPolicy(name: string): Statement[] {
  const entry = Object.entries(dataResources).find(
    ([id, resource]) => resource.Type === 'AWS::KMS::Key' && new RegExp(`^Keys${name}[0-9A-F]{8}$`).test(id),
  );
  if (!entry) throw new Error(`no key ${name}`);
  return (entry[1].Properties.KeyPolicy as { Statement: Statement[] }).Statement;
}

function bucketPolicy(name: string): Statement[] {
  const entry = Object.values(dataResources).find(
    (resource) =>
      resource.Type === 'AWS::S3::BucketPolicy' &&
      new RegExp(`"Ref":"Buckets${name}Bucket[0-9A-F]{8}"`).test(JSON.stringify(resource.Properties.Bucket)),
  );
  if (!entry) throw new Error(`no bucket policy ${name}`);
  return (entry.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
}

/** Construct ids of the role names in a policy condition (`kyc-<Id>-<hash>`), plus `break-glass`. */
function roleIds(value: unknown): string[] {
  const names = [...JSON.stringify(value).matchAll(/:role\/kyc-(break-glass|[A-Za-z0-9]+-[0-9A-F]{8})"/g)].map((m) =>
    m[1]!.replace(/-[0-9A-F]{8}$/, ''),
  );
  return [...new Set(names)].sort();
}

/** Role construct id (`kyc-<Id>-<hash>` -> `<Id>`) of each app-stack role logical id. */
function roleIdOf(logicalId: string): string {
  const roleName = appResources[logicalId]?.Properties.RoleName;
  return typeof roleName === 'string' ? (/^kyc-([A-Za-z0-9]+)-/.exec(roleName)?.[1] ?? roleName) : logicalId;
}

/** Every (role, statement) pair of the app stack's identity policies. */
function roleStatements(): Array<{ role: string; statement: Statement }> {
  const pairs: Array<{ role: string; statement: Statement }> = [];
  for (const resource of Object.values(appResources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const roles = (resource.Properties.Roles as Array<{ Ref: string }>).map((ref) => roleIdOf(ref.Ref));
    for (const statement of (resource.Properties.PolicyDocument as { Statement: Statement[] }).Statement) {
      for (const role of roles) pairs.push({ role, statement });
    }
  }
  return pairs;
}

/** Roles whose identity policy allows `action` on the key `Keys<name>`. */
function rolesAllowed(action: string, keyName: string): string[] {
  const roles = roleStatements()
    .filter(
      ({ statement }) =>
        statement.Effect === 'Allow' &&
        actionsOf(statement).includes(action) &&
        new RegExp(`Keys${keyName}[0-9A-F]{8}`).test(JSON.stringify(statement.Resource)),
    )
    .map(({ role }) => role);
  return [...new Set(roles)].sort();
}

const VAULT_READERS = ['DocumentData', 'Duplicates', 'FaceMatch', 'FinalizeApprove'];

describe('who may decrypt, key by key', () => {
  it.each([
    ['Documents', [...VAULT_READERS, 'OnUpload']],
    ['Data', ['DocumentData']],
  ])('the %s key policy names exactly the roles IAM lets Decrypt, and break-glass', (keyName, mustInclude) => {
    // Act
    const policy = keyPolicy(keyName);
    const listed =
      keyName === 'Documents'
        ? policy.find((s) => s.Sid === 'DenyDecryptOutsideAllowList')?.Condition?.ArnNotLike
        : policy.find((s) => s.Sid === 'DecryptPersonalDataByNamedRolesWithPurpose')?.Condition?.ArnLike;
    const decrypters = rolesAllowed('kms:Decrypt', keyName);
    console.info(`kms:Decrypt on the ${keyName} key: ${decrypters.join(', ')} + break-glass`);

    // Assess
    expect(roleIds(listed)).toEqual([...decrypters, 'break-glass'].sort());
    expect(decrypters).toEqual(expect.arrayContaining(mustInclude));
  });

  it('allows Decrypt of personal data only under purpose=personal-data, in the key policy and in IAM', () => {
    // Act
    const allows = keyPolicy('Data').filter(
      (s) => s.Effect === 'Allow' && actionsOf(s).some((a) => /Decrypt|\*/.test(a)),
    );
    const grants = roleStatements().filter(
      ({ statement }) =>
        actionsOf(statement).includes('kms:Decrypt') && /KeysData/.test(JSON.stringify(statement.Resource)),
    );

    // Assess
    expect(allows.map((s) => s.Sid)).toEqual(['DecryptPersonalDataByNamedRolesWithPurpose']);
    expect(allows[0]?.Condition?.StringEquals).toEqual({ 'kms:EncryptionContext:purpose': 'personal-data' });
    for (const { statement } of grants) {
      expect(statement.Condition?.StringEquals).toEqual({ 'kms:EncryptionContext:purpose': 'personal-data' });
    }
  });

  it('lets every role use the service key (tables, queues, logs, secrets) only through a service', () => {
    // Act
    // The audit archiver included: its stream records are decrypted only through DynamoDB.
    const direct = roleStatements().filter(
      ({ statement }) =>
        /KeysService/.test(JSON.stringify(statement.Resource)) &&
        statement.Condition?.StringEquals?.['kms:ViaService'] === undefined,
    );

    // Assess
    expect(rolesAllowed('kms:Decrypt', 'Service').length).toBeGreaterThan(10);
    expect(direct).toEqual([]);
  });

  it('conditions every KMS grant of every role, except GenerateMac on the HMAC key', () => {
    // Act
    // Signing audit digests (kms:Sign) is a direct use of the signing key, like GenerateMac.
    const unconditioned = roleStatements().filter(
      ({ statement }) =>
        JSON.stringify(statement.Action) !== '"kms:Sign"' &&
        actionsOf(statement).some((action) => action.startsWith('kms:')) &&
        statement.Condition === undefined &&
        JSON.stringify(statement.Action) !== '"kms:GenerateMac"',
    );

    // Assess
    expect(unconditioned).toEqual([]);
  });
});

describe('key administration', () => {
  it.each(['Documents', 'Data', 'Service', 'DocumentNumberHmac', 'AuditSigning'])(
    'the %s key gives the account administration without use, and no kms:*',
    (keyName) => {
      // Act
      const policy = keyPolicy(keyName);
      const admin = policy.find((s) => s.Sid === 'KeyAdministrationWithoutUse');

      // Assess
      expect(policy.flatMap(actionsOf)).not.toContain('kms:*');
      expect(actionsOf(admin!)).toContain('kms:PutKeyPolicy');
      expect(actionsOf(admin!).filter((a) => /Encrypt|Decrypt|GenerateDataKey|Sign|Mac/.test(a))).toEqual([]);
    },
  );

  it.each(['Documents', 'Data', 'Service', 'DocumentNumberHmac', 'AuditSigning'])(
    'the %s key refuses PutKeyPolicy to all but the deployment and break-glass roles',
    (keyName) => {
      // Act
      const guard = keyPolicy(keyName).find((s) => s.Sid === 'DenyKeyPolicyChangesOutsideDeployment');

      // Assess
      expect(guard?.Effect).toBe('Deny');
      expect(guard?.Principal).toEqual({ AWS: '*' });
      expect(JSON.stringify(guard?.Condition?.ArnNotLike)).toMatch(/cdk-\*-cfn-exec-role-/);
      expect(roleIds(guard?.Condition?.ArnNotLike)).toEqual(['break-glass']);
    },
  );

  it('admits a configured break-glass role instead of the default name', () => {
    // Prepare
    const arn = 'arn:aws:iam::123456789012:role/incident-response';

    // Act
    const { dataTemplate: custom } = synthKyc({ breakGlassRoleArn: arn });

    // Assess
    expect(JSON.stringify(custom.toJSON())).toContain(arn);
    expect(JSON.stringify(custom.toJSON())).not.toContain('kyc-break-glass');
  });
});

/** Roles whose identity policy allows an object read (content, not Object Lock settings) on the bucket `Buckets<name>`. */
function bucketReaders(name: string): string[] {
  const readers = roleStatements()
    .filter(
      ({ statement }) =>
        actionsOf(statement).some((a) => OBJECT_READ_ACTIONS.includes(a)) &&
        new RegExp(`Buckets${name}`).test(JSON.stringify(statement.Resource)),
    )
    .map(({ role }) => role);
  return [...new Set(readers)].sort();
}

describe('evidence bucket allow-lists', () => {
  it.each([
    ['Vault', VAULT_READERS],
    ['AuditArchive', ['Digester']],
  ])(
    'the %s bucket denies every object read to all but the roles IAM lets read it, and break-glass',
    (bucket, mustInclude) => {
      // Act
      const deny = bucketPolicy(bucket).find((s) => s.Sid === 'DenyReadsOutsideAllowList');
      const readers = bucketReaders(bucket);
      console.info(`object reads of the ${bucket} bucket: ${readers.join(', ')} + break-glass`);

      // Assess
      expect(deny?.Effect).toBe('Deny');
      expect(deny?.Principal).toEqual({ AWS: '*' });
      expect(actionsOf(deny!)).toEqual(expect.arrayContaining(['s3:GetObject', 's3:GetObjectVersion']));
      expect(roleIds(deny?.Condition?.ArnNotLike)).toEqual([...readers, 'break-glass'].sort());
      expect(readers).toEqual(expect.arrayContaining(mustInclude));
    },
  );
});

describe('audit and events', () => {
  it('gives no role a write on the audit table that could overwrite an event', () => {
    // Act
    const overwriting = roleStatements().filter(
      ({ statement }) =>
        /TablesAuditEvents/.test(JSON.stringify(statement.Resource)) &&
        actionsOf(statement).some((a) =>
          /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem|PartiQLUpdate|PartiQLDelete|\*)$/.test(a),
        ),
    );
    const inserters = roleStatements().filter(({ statement }) =>
      actionsOf(statement).includes('dynamodb:PartiQLInsert'),
    );

    // Assess
    expect(overwriting).toEqual([]);
    expect(inserters.length).toBeGreaterThan(5);
  });

  it('lets each publisher put events only with our source and our detail types', () => {
    // Act
    const puts = roleStatements().filter(({ statement }) => actionsOf(statement).includes('events:PutEvents'));

    // Assess
    expect(puts.length).toBeGreaterThan(0);
    for (const { role, statement } of puts) {
      expect(statement.Condition?.StringEquals?.['events:source'], role).toBe('serverless-kyc');
      expect(statement.Condition?.['ForAllValues:StringEquals']?.['events:detail-type'], role).toBeDefined();
    }
  });
});
