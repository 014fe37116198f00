/**
 * A stand-in for the functions' S3 client (`S3RestClient`) in unit tests: each operation
 * answers what the test sets, records every input, and an operation the test did not set
 * throws, so a test sees every S3 call its code makes.
 *
 * @example
 * ```ts
 * const s3 = new FakeS3();
 * s3.on('copyObject').rejectsOnce(new Error('SlowDown')).resolves({ VersionId: 'v2' });
 * const store = new S3EvidenceStore({ vaultBucket, documentsKeyId, client: s3.client });
 * expect(s3.calls('copyObject')).toHaveLength(2);
 * ```
 */
import type { S3Operations } from '../../lambdas/adapters/aws/s3-rest-client.ts';

type Operation = keyof S3Operations;
type Input<O extends Operation> = Parameters<S3Operations[O]>[0];
type Output<O extends Operation> = Awaited<ReturnType<S3Operations[O]>>;
type Answer<O extends Operation> = (input: Input<O>) => Output<O> | Promise<Output<O>>;

const OPERATIONS: readonly Operation[] = [
  'headObject',
  'getObject',
  'putObject',
  'copyObject',
  'deleteObject',
  'listObjectsV2',
  'listObjectVersions',
  'getObjectRetention',
  'putObjectRetention',
  'getObjectLegalHold',
  'putObjectLegalHold',
];

/** How one operation answers: a standing answer and answers for the next calls only. */
export class FakeOperation<O extends Operation> {
  private standing: Answer<O> | undefined;
  private readonly once: Answer<O>[] = [];

  public constructor(private readonly name: O) {}

  public callsFake(answer: Answer<O>): this {
    this.standing = answer;
    return this;
  }

  public resolves(output: Output<O>): this {
    return this.callsFake(() => output);
  }

  public rejects(error: Error): this {
    return this.callsFake(() => {
      throw error;
    });
  }

  public rejectsOnce(error: Error): this {
    this.once.push(() => {
      throw error;
    });
    return this;
  }

  /** The answer of the next call. */
  public answer(input: Input<O>): Output<O> | Promise<Output<O>> {
    const answer = this.once.shift() ?? this.standing;
    if (!answer) throw new Error(`FakeS3: ${this.name} was called and the test set no answer`);
    return answer(input);
  }
}

export class FakeS3 {
  private operations = new Map<Operation, FakeOperation<Operation>>();
  private recorded = new Map<Operation, unknown[]>();

  /** The client to give the code under test. */
  public readonly client: S3Operations;

  public constructor() {
    const client: Partial<Record<Operation, (input: unknown) => Promise<unknown>>> = {};
    for (const name of OPERATIONS) {
      client[name] = async (input: unknown) => {
        this.recorded.set(name, [...(this.recorded.get(name) ?? []), input]);
        return this.on(name).answer(input as never);
      };
    }
    this.client = client as unknown as S3Operations;
  }

  /** The answers of one operation (set with `resolves`, `rejects`, `callsFake`, `rejectsOnce`). */
  public on<O extends Operation>(name: O): FakeOperation<O> {
    let operation = this.operations.get(name);
    if (!operation) {
      operation = new FakeOperation(name) as unknown as FakeOperation<Operation>;
      this.operations.set(name, operation);
    }
    return operation as unknown as FakeOperation<O>;
  }

  /** The inputs of every call of one operation, in order. */
  public calls<O extends Operation>(name: O): Input<O>[] {
    return (this.recorded.get(name) ?? []) as Input<O>[];
  }

  /** How many S3 calls were made, of every operation. */
  public callCount(): number {
    return [...this.recorded.values()].reduce((sum, inputs) => sum + inputs.length, 0);
  }

  /** Forgets every answer and call. */
  public reset(): void {
    this.operations = new Map();
    this.recorded = new Map();
  }
}
