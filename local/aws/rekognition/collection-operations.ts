/**
 * Collection, face and user operations of the local Rekognition: CreateCollection,
 * DescribeCollection, DeleteCollection, ListCollections, IndexFaces, ListFaces, DeleteFaces,
 * SearchFaces, SearchFacesByImage, CreateUser, DeleteUser, ListUsers, AssociateFaces,
 * SearchUsersByImage.
 */
import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { LOCAL_ACCOUNT_ID } from '../client-config.ts';
import { optionalNumber, optionalString, requiredString } from '../json-input.ts';
import { AwsServiceError, type OperationHandler } from '../json-protocol-server.ts';
import {
  FACE_MODEL_VERSION,
  isCollectionId,
  type CollectionStore,
  type StoredCollection,
  type StoredFace,
} from './collections.ts';
import { invalidParameter, resourceNotFound } from './errors.ts';
import { attributeSelection, boundingBox, faceDetail, largestFace, type GreyImage } from './face-details.ts';
import type { EngineFace, FaceEngine } from './face-engine-port.ts';
import { resolveImage } from './images.ts';

/** What the operations need from the server. */
export interface CollectionContext {
  store: CollectionStore;
  engine: () => Promise<FaceEngine>;
  detect: (image: Uint8Array) => Promise<EngineFace[]>;
  /** The image's grey copy for face quality (remembered by content). */
  grey: (image: Uint8Array) => Promise<GreyImage | undefined>;
  s3: S3Client | undefined;
  region: string;
  now: () => number;
}

const EXTERNAL_IMAGE_ID = /^[a-zA-Z0-9_.\-:]{1,255}$/;
const USER_ID = /^[a-zA-Z0-9_.\-:]{1,128}$/;
const FACE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Input = Record<string, unknown>;

function collectionOf(context: CollectionContext, input: Input): StoredCollection {
  const id = requiredString(input, 'CollectionId', invalidParameter);
  if (!isCollectionId(id)) throw invalidParameter('CollectionId must match [a-zA-Z0-9_.\\-]+ (1-255 characters)');
  return context.store.get(id);
}

function publicFace(face: StoredFace): Record<string, unknown> {
  return {
    FaceId: face.FaceId,
    BoundingBox: face.BoundingBox,
    ImageId: face.ImageId,
    ...(face.ExternalImageId ? { ExternalImageId: face.ExternalImageId } : {}),
    Confidence: face.Confidence,
    IndexFacesModelVersion: FACE_MODEL_VERSION,
    ...(face.UserId ? { UserId: face.UserId } : {}),
  };
}

function stringList(input: Input, field: string, pattern: RegExp, max: number): string[] {
  const value = input[field];
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.length > max ||
    value.some((item) => typeof item !== 'string' || !pattern.test(item))
  ) {
    throw invalidParameter(`${field} must be a list of 1-${max} valid ids`);
  }
  return value as string[];
}

const round = (value: number): number => Number(value.toFixed(4));

function matches(
  engine: FaceEngine,
  collection: StoredCollection,
  embedding: number[],
  threshold: number,
  maxFaces: number,
  exclude?: string,
): { Similarity: number; Face: Record<string, unknown> }[] {
  return collection.faces
    .filter((face) => face.FaceId !== exclude)
    .map((face) => ({ face, similarity: engine.similarity(embedding, face.embedding) }))
    .filter(({ similarity }) => similarity >= threshold)
    .sort((a, b) => b.similarity - a.similarity)
    .slice(0, maxFaces)
    .map(({ face, similarity }) => ({ Similarity: round(similarity), Face: publicFace(face) }));
}

async function searchedFace(
  context: CollectionContext,
  input: Input,
): Promise<{ face: EngineFace; others: EngineFace[]; image: Uint8Array }> {
  const image = await resolveImage(input, 'Image', context.s3);
  const faces = await context.detect(image);
  const face = largestFace(faces);
  if (!face) throw invalidParameter('There are no faces in the image. Should be at least 1.');
  return { face, others: faces.filter((other) => other !== face), image };
}

const QUALITY_MIN_CONFIDENCE: Record<string, number> = { NONE: 0, LOW: 0.3, AUTO: 0.5, MEDIUM: 0.5, HIGH: 0.7 };

export function collectionOperations(context: CollectionContext): Record<string, OperationHandler> {
  const arnOf = (id: string): string => `aws:rekognition:${context.region}:${LOCAL_ACCOUNT_ID}:collection/${id}`;

  return {
    CreateCollection(input) {
      const id = requiredString(input, 'CollectionId', invalidParameter);
      if (!isCollectionId(id)) throw invalidParameter('CollectionId must match [a-zA-Z0-9_.\\-]+ (1-255 characters)');
      if (context.store.has(id)) {
        throw new AwsServiceError('ResourceAlreadyExistsException', `The collection id: ${id} already exists`);
      }
      context.store.create(id, context.now());
      return { StatusCode: 200, CollectionArn: arnOf(id), FaceModelVersion: FACE_MODEL_VERSION };
    },
    DescribeCollection(input) {
      const collection = collectionOf(context, input);
      return {
        FaceCount: collection.faces.length,
        UserCount: collection.users.length,
        FaceModelVersion: FACE_MODEL_VERSION,
        CollectionARN: arnOf(collection.CollectionId),
        CreationTimestamp: collection.CreationTimestamp,
      };
    },
    DeleteCollection(input) {
      context.store.delete(collectionOf(context, input).CollectionId);
      return { StatusCode: 200 };
    },
    ListCollections() {
      const ids = context.store.list();
      return { CollectionIds: ids, FaceModelVersions: ids.map(() => FACE_MODEL_VERSION) };
    },
    async IndexFaces(input) {
      const collection = collectionOf(context, input);
      const externalImageId = optionalString(input, 'ExternalImageId', invalidParameter);
      if (externalImageId !== undefined && !EXTERNAL_IMAGE_ID.test(externalImageId)) {
        throw invalidParameter('ExternalImageId must match [a-zA-Z0-9_.\\-:]+ (1-255 characters)');
      }
      const maxFaces = optionalNumber(input, 'MaxFaces', 1, 100, invalidParameter) ?? 100;
      const qualityFilter = optionalString(input, 'QualityFilter', invalidParameter) ?? 'AUTO';
      const minConfidence = QUALITY_MIN_CONFIDENCE[qualityFilter];
      if (minConfidence === undefined) throw invalidParameter('QualityFilter must be NONE, AUTO, LOW, MEDIUM or HIGH');
      const attributes = attributeSelection(input.DetectionAttributes, invalidParameter);
      const image = await resolveImage(input, 'Image', context.s3);
      const faces = await context.detect(image);
      const grey = await context.grey(image);
      const bySize = [...faces].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
      const imageId = randomUUID();
      const records: Record<string, unknown>[] = [];
      const unindexed: Record<string, unknown>[] = [];
      for (const face of bySize) {
        const detail = faceDetail(face, grey, attributes);
        if (face.confidence < minConfidence) {
          unindexed.push({ Reasons: ['LOW_CONFIDENCE'], FaceDetail: detail });
        } else if (records.length >= maxFaces) {
          unindexed.push({ Reasons: ['EXCEEDS_MAX_FACES'], FaceDetail: detail });
        } else {
          const stored: StoredFace = {
            FaceId: randomUUID(),
            ImageId: imageId,
            ExternalImageId: externalImageId,
            BoundingBox: boundingBox(face),
            Confidence: round(face.confidence * 100),
            embedding: face.embedding,
          };
          collection.faces.push(stored);
          records.push({ Face: publicFace(stored), FaceDetail: detail });
        }
      }
      context.store.save(collection);
      return { FaceRecords: records, FaceModelVersion: FACE_MODEL_VERSION, UnindexedFaces: unindexed };
    },
    ListFaces(input) {
      const collection = collectionOf(context, input);
      const maxResults = optionalNumber(input, 'MaxResults', 0, 4096, invalidParameter) ?? 1000;
      const token = optionalString(input, 'NextToken', invalidParameter);
      const start = token === undefined ? 0 : Number.parseInt(Buffer.from(token, 'base64').toString('utf8'), 10);
      if (!Number.isInteger(start) || start < 0) throw invalidParameter('NextToken is invalid');
      const userId = optionalString(input, 'UserId', invalidParameter);
      const faceIds = Array.isArray(input.FaceIds) ? new Set(input.FaceIds as unknown[]) : undefined;
      const selected = collection.faces.filter(
        (face) =>
          (userId === undefined || face.UserId === userId) && (faceIds === undefined || faceIds.has(face.FaceId)),
      );
      const page = selected.slice(start, start + maxResults);
      const next =
        start + page.length < selected.length ? Buffer.from(String(start + page.length)).toString('base64') : undefined;
      return {
        Faces: page.map(publicFace),
        FaceModelVersion: FACE_MODEL_VERSION,
        ...(next ? { NextToken: next } : {}),
      };
    },
    DeleteFaces(input) {
      const collection = collectionOf(context, input);
      const faceIds = stringList(input, 'FaceIds', FACE_ID, 4096);
      const deleted: string[] = [];
      const unsuccessful: Record<string, unknown>[] = [];
      for (const faceId of faceIds) {
        const face = collection.faces.find((candidate) => candidate.FaceId === faceId);
        if (!face) {
          unsuccessful.push({ FaceId: faceId, Reasons: ['FACE_NOT_FOUND'] });
        } else if (face.UserId) {
          unsuccessful.push({ FaceId: faceId, UserId: face.UserId, Reasons: ['ASSOCIATED_TO_AN_EXISTING_USER'] });
        } else {
          deleted.push(faceId);
        }
      }
      collection.faces = collection.faces.filter((face) => !deleted.includes(face.FaceId));
      context.store.save(collection);
      return { DeletedFaces: deleted, UnsuccessfulFaceDeletions: unsuccessful };
    },
    async SearchFaces(input) {
      const collection = collectionOf(context, input);
      const faceId = requiredString(input, 'FaceId', invalidParameter);
      const face = collection.faces.find((candidate) => candidate.FaceId === faceId);
      if (!face) throw invalidParameter(`FaceId ${faceId} is not in the collection`);
      const threshold = optionalNumber(input, 'FaceMatchThreshold', 0, 100, invalidParameter) ?? 80;
      const maxFaces = optionalNumber(input, 'MaxFaces', 1, 4096, invalidParameter) ?? 4096;
      const engine = await context.engine();
      return {
        SearchedFaceId: faceId,
        FaceMatches: matches(engine, collection, face.embedding, threshold, maxFaces, faceId),
        FaceModelVersion: FACE_MODEL_VERSION,
      };
    },
    async SearchFacesByImage(input) {
      const collection = collectionOf(context, input);
      const threshold = optionalNumber(input, 'FaceMatchThreshold', 0, 100, invalidParameter) ?? 80;
      const maxFaces = optionalNumber(input, 'MaxFaces', 1, 4096, invalidParameter) ?? 4096;
      const { face } = await searchedFace(context, input);
      const engine = await context.engine();
      return {
        SearchedFaceBoundingBox: boundingBox(face),
        SearchedFaceConfidence: round(face.confidence * 100),
        FaceMatches: matches(engine, collection, face.embedding, threshold, maxFaces),
        FaceModelVersion: FACE_MODEL_VERSION,
      };
    },
    CreateUser(input) {
      const collection = collectionOf(context, input);
      const userId = requiredString(input, 'UserId', invalidParameter);
      if (!USER_ID.test(userId)) throw invalidParameter('UserId must match [a-zA-Z0-9_.\\-:]+ (1-128 characters)');
      if (collection.users.some((user) => user.UserId === userId)) {
        throw new AwsServiceError('ConflictException', `User ${userId} already exists in the collection`);
      }
      collection.users.push({ UserId: userId, UserStatus: 'ACTIVE' });
      context.store.save(collection);
      return {};
    },
    DeleteUser(input) {
      const collection = collectionOf(context, input);
      const userId = requiredString(input, 'UserId', invalidParameter);
      if (!collection.users.some((user) => user.UserId === userId))
        throw resourceNotFound(`User ${userId} does not exist`);
      collection.users = collection.users.filter((user) => user.UserId !== userId);
      for (const face of collection.faces) if (face.UserId === userId) delete face.UserId;
      context.store.save(collection);
      return {};
    },
    ListUsers(input) {
      const collection = collectionOf(context, input);
      return { Users: collection.users.map(({ UserId, UserStatus }) => ({ UserId, UserStatus })) };
    },
    async AssociateFaces(input) {
      const collection = collectionOf(context, input);
      const userId = requiredString(input, 'UserId', invalidParameter);
      if (!collection.users.some((user) => user.UserId === userId))
        throw resourceNotFound(`User ${userId} does not exist`);
      const faceIds = stringList(input, 'FaceIds', FACE_ID, 100);
      const threshold = optionalNumber(input, 'UserMatchThreshold', 0, 100, invalidParameter) ?? 75;
      const engine = await context.engine();
      const associated: { FaceId: string }[] = [];
      const unsuccessful: Record<string, unknown>[] = [];
      for (const faceId of faceIds) {
        const face = collection.faces.find((candidate) => candidate.FaceId === faceId);
        if (!face) {
          unsuccessful.push({ FaceId: faceId, Reasons: ['FACE_NOT_FOUND'] });
          continue;
        }
        if (face.UserId && face.UserId !== userId) {
          unsuccessful.push({ FaceId: faceId, UserId: face.UserId, Reasons: ['ASSOCIATED_TO_A_DIFFERENT_USER'] });
          continue;
        }
        const userFaces = collection.faces.filter(
          (candidate) => candidate.UserId === userId && candidate.FaceId !== faceId,
        );
        const confidence =
          userFaces.length === 0
            ? 100
            : Math.max(...userFaces.map((other) => engine.similarity(face.embedding, other.embedding)));
        if (confidence < threshold) {
          unsuccessful.push({
            FaceId: faceId,
            UserId: userId,
            Confidence: round(confidence),
            Reasons: ['LOW_MATCH_CONFIDENCE'],
          });
          continue;
        }
        face.UserId = userId;
        associated.push({ FaceId: faceId });
      }
      context.store.save(collection);
      return { AssociatedFaces: associated, UnsuccessfulFaceAssociations: unsuccessful, UserStatus: 'ACTIVE' };
    },
    async SearchUsersByImage(input) {
      const collection = collectionOf(context, input);
      const threshold = optionalNumber(input, 'UserMatchThreshold', 0, 100, invalidParameter) ?? 80;
      const maxUsers = optionalNumber(input, 'MaxUsers', 1, 500, invalidParameter) ?? 500;
      const { face, others, image } = await searchedFace(context, input);
      const engine = await context.engine();
      const grey = await context.grey(image);
      const best = new Map<string, number>();
      for (const stored of collection.faces) {
        if (!stored.UserId) continue;
        const similarity = engine.similarity(face.embedding, stored.embedding);
        best.set(stored.UserId, Math.max(best.get(stored.UserId) ?? 0, similarity));
      }
      const userMatches = [...best.entries()]
        .filter(([, similarity]) => similarity >= threshold)
        .sort((a, b) => b[1] - a[1])
        .slice(0, maxUsers)
        .map(([UserId, similarity]) => ({ Similarity: round(similarity), User: { UserId, UserStatus: 'ACTIVE' } }));
      const none = { all: false, names: new Set<string>() };
      return {
        UserMatches: userMatches,
        FaceModelVersion: FACE_MODEL_VERSION,
        SearchedFace: { FaceDetail: faceDetail(face, grey, none) },
        UnsearchedFaces: others.map((other) => ({
          FaceDetails: faceDetail(other, grey, none),
          Reasons: ['FACE_NOT_LARGEST'],
        })),
      };
    },
  };
}
