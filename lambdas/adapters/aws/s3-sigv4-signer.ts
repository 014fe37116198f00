/**
 * What a Lambda bundle imports in place of `@aws-sdk/signature-v4-multi-region`'s
 * `SignatureV4MultiRegion`, the S3 client's signer (`lib/bundling/lambda-bundle.ts` substitutes
 * it): the same SigV4 signing, without the SigV4a branch for multi-region access points (ARNs
 * of the form `arn:aws:s3::<account>:accesspoint/<alias>.mrap`), which the functions never
 * address and which would need the AWS CRT or the SigV4a package besides. A request for one
 * fails with {@link SigV4aNotBundledError}. The rest of the package is the SDK's own.
 */
import { SignatureV4SignWithCredentials } from '@aws-sdk/signature-v4-multi-region';

export { signatureV4CrtContainer, SignatureV4SignWithCredentials } from '@aws-sdk/signature-v4-multi-region';

/** Thrown when a request would need SigV4a (signing region `*`). */
export class SigV4aNotBundledError extends Error {
  constructor() {
    super(
      'SigV4a (S3 multi-region access points) is left out of this Lambda bundle; see lib/bundling/lambda-bundle.ts',
    );
    this.name = 'SigV4aNotBundledError';
  }
}

type Signer = InstanceType<typeof SignatureV4SignWithCredentials>;
type Options = { signingRegion?: string } | undefined;

function sigV4Only(options: Options): void {
  if (options?.signingRegion === '*') throw new SigV4aNotBundledError();
}

/** `SignatureV4MultiRegion` for single-region requests: every call goes to the SDK's SigV4 signer. */
export class SignatureV4MultiRegion {
  /** Which SigV4a implementation is loaded: none (the S3 client then picks SigV4 where an endpoint offers both). */
  static sigv4aDependency(): 'none' {
    return 'none';
  }

  private readonly sigv4Signer: Signer;

  constructor(options: ConstructorParameters<typeof SignatureV4SignWithCredentials>[0]) {
    this.sigv4Signer = new SignatureV4SignWithCredentials(options);
  }

  sign(...args: Parameters<Signer['sign']>): ReturnType<Signer['sign']> {
    sigV4Only(args[1] as Options);
    return this.sigv4Signer.sign(...args);
  }

  signWithCredentials(...args: Parameters<Signer['signWithCredentials']>): ReturnType<Signer['signWithCredentials']> {
    sigV4Only(args[2]);
    return this.sigv4Signer.signWithCredentials(...args);
  }

  presign(...args: Parameters<Signer['presign']>): ReturnType<Signer['presign']> {
    sigV4Only(args[1]);
    return this.sigv4Signer.presign(...args);
  }

  presignWithCredentials(
    ...args: Parameters<Signer['presignWithCredentials']>
  ): ReturnType<Signer['presignWithCredentials']> {
    sigV4Only(args[2]);
    return this.sigv4Signer.presignWithCredentials(...args);
  }
}
