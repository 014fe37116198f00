/**
 * Face collections of the local Rekognition, one JSON file per collection in
 * `<dataDir>/collections/` (written atomically after every change). Faces keep their
 * embedding; users group faces (CreateUser / AssociateFaces / SearchUsersByImage).
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BoundingBox } from './face-details.ts';
import { resourceNotFound } from './errors.ts';

/** A face stored in a collection. */
export interface StoredFace {
  FaceId: string;
  ImageId: string;
  ExternalImageId?: string;
  BoundingBox: BoundingBox;
  Confidence: number;
  UserId?: string;
  embedding: number[];
}

/** A user vector: a named group of faces of one person. */
export interface StoredUser {
  UserId: string;
  UserStatus: 'ACTIVE';
}

/** One collection. */
export interface StoredCollection {
  CollectionId: string;
  CreationTimestamp: number;
  faces: StoredFace[];
  users: StoredUser[];
}

export const FACE_MODEL_VERSION = '7.0';
const COLLECTION_ID = /^[a-zA-Z0-9_.-]{1,255}$/;

/** True when the id is a valid Rekognition CollectionId. */
export const isCollectionId = (value: string): boolean => COLLECTION_ID.test(value);

/** The collections of one local Rekognition. */
export class CollectionStore {
  private readonly directory: string;
  private readonly collections = new Map<string, StoredCollection>();

  constructor(dataDir: string) {
    this.directory = join(dataDir, 'collections');
    mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    for (const file of readdirSync(this.directory)) {
      if (!file.endsWith('.json')) continue;
      const collection = JSON.parse(readFileSync(join(this.directory, file), 'utf8')) as StoredCollection;
      this.collections.set(collection.CollectionId, collection);
    }
  }

  has(collectionId: string): boolean {
    return this.collections.has(collectionId);
  }

  list(): string[] {
    return [...this.collections.keys()].sort();
  }

  /** The collection, or ResourceNotFoundException. */
  get(collectionId: string): StoredCollection {
    const collection = this.collections.get(collectionId);
    if (!collection) throw resourceNotFound(`The collection id: ${collectionId} does not exist`);
    return collection;
  }

  create(collectionId: string, now: number): StoredCollection {
    const collection: StoredCollection = {
      CollectionId: collectionId,
      CreationTimestamp: now / 1000,
      faces: [],
      users: [],
    };
    this.collections.set(collectionId, collection);
    this.save(collection);
    return collection;
  }

  delete(collectionId: string): void {
    this.get(collectionId);
    this.collections.delete(collectionId);
    rmSync(this.fileOf(collectionId), { force: true });
  }

  /** Persists a collection after a change. */
  save(collection: StoredCollection): void {
    const file = this.fileOf(collection.CollectionId);
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(collection), { mode: 0o600 });
    renameSync(temporary, file);
  }

  private fileOf(collectionId: string): string {
    // CollectionIds are [a-zA-Z0-9_.-]; the prefix keeps "." and ".." harmless.
    return join(this.directory, `c-${collectionId}.json`);
  }
}
