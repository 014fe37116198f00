/**
 * The Rekognition face collection used for duplicate-identity search (one face may verify only
 * one account, PRODUCT §1). It holds face vectors of verified users, so it is stateful: it
 * lives in the data stack and is RETAINed.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as rekognition from 'aws-cdk-lib/aws-rekognition';
import { Construct } from 'constructs';

export interface FaceCollectionProps {
  /** Collection id, unique in the account and region (required; `<prefix>-faces`). */
  readonly collectionId: string;
}

/**
 * An `AWS::Rekognition::Collection`. Rekognition encrypts collections with an AWS-managed key
 * (no customer-managed key option); the collection stores face vectors and external ids
 * (verification ids), never images or names.
 *
 * @example
 * ```ts
 * const faces = new FaceCollection(this, 'Faces', { collectionId: 'kyc-faces' });
 * faces.collectionId; // FACE_COLLECTION_ID
 * ```
 */
export class FaceCollection extends Construct {
  /** The collection id, for `FACE_COLLECTION_ID`. */
  public readonly collectionId: string;
  /** The collection ARN, for IAM grants (IndexFaces, SearchFacesByImage, ...). */
  public readonly collectionArn: string;

  constructor(scope: Construct, id: string, props: FaceCollectionProps) {
    super(scope, id);
    const collection = new rekognition.CfnCollection(this, 'Resource', { collectionId: props.collectionId });
    collection.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.collectionId = collection.ref;
    this.collectionArn = collection.attrArn;
  }
}
