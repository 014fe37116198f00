/**
 * The Rekognition calls the functions make, over {@link AwsJsonClient} (`aws-json-client.ts`
 * says why not the SDK's client): the SDK's command names, inputs and outputs (an image's
 * `Bytes` sent as base64; the liveness results' image bytes read back as `Uint8Array`s).
 *
 * @example
 * ```ts
 * const { FaceMatches } = await defaultRekognitionCalls().send(new CompareFacesCommand({ SourceImage, TargetImage }));
 * ```
 */
import type {
  AuditImage,
  CompareFacesRequest,
  CompareFacesResponse,
  CreateFaceLivenessSessionRequest,
  CreateFaceLivenessSessionResponse,
  DeleteFacesRequest,
  DeleteFacesResponse,
  DetectFacesRequest,
  DetectFacesResponse,
  DetectTextRequest,
  DetectTextResponse,
  GetFaceLivenessSessionResultsRequest,
  GetFaceLivenessSessionResultsResponse,
  IndexFacesRequest,
  IndexFacesResponse,
  SearchFacesByImageRequest,
  SearchFacesByImageResponse,
} from '@aws-sdk/client-rekognition';
import { bytesOf, JsonCommand, REKOGNITION, sharedJsonClient, type JsonCalls } from './aws-json-client.ts';

export class CompareFacesCommand extends JsonCommand<CompareFacesRequest, CompareFacesResponse> {
  public readonly operation = 'CompareFaces';
}
export class SearchFacesByImageCommand extends JsonCommand<SearchFacesByImageRequest, SearchFacesByImageResponse> {
  public readonly operation = 'SearchFacesByImage';
}
export class IndexFacesCommand extends JsonCommand<IndexFacesRequest, IndexFacesResponse> {
  public readonly operation = 'IndexFaces';
}
export class DeleteFacesCommand extends JsonCommand<DeleteFacesRequest, DeleteFacesResponse> {
  public readonly operation = 'DeleteFaces';
}
export class DetectFacesCommand extends JsonCommand<DetectFacesRequest, DetectFacesResponse> {
  public readonly operation = 'DetectFaces';
}
export class DetectTextCommand extends JsonCommand<DetectTextRequest, DetectTextResponse> {
  public readonly operation = 'DetectText';
}
export class CreateFaceLivenessSessionCommand extends JsonCommand<
  CreateFaceLivenessSessionRequest,
  CreateFaceLivenessSessionResponse
> {
  public readonly operation = 'CreateFaceLivenessSession';
}

/** A liveness image with its `Bytes` (when the answer carries them) as a `Uint8Array`. */
function imageOf(image: unknown): AuditImage | undefined {
  if (image === undefined || image === null) return undefined;
  const { Bytes, ...rest } = image as AuditImage & { Bytes?: unknown };
  return Bytes === undefined ? rest : { ...rest, Bytes: bytesOf(Bytes) };
}

export class GetFaceLivenessSessionResultsCommand extends JsonCommand<
  GetFaceLivenessSessionResultsRequest,
  GetFaceLivenessSessionResultsResponse
> {
  public readonly operation = 'GetFaceLivenessSessionResults';
  public override read(answer: Record<string, unknown>): GetFaceLivenessSessionResultsResponse {
    const output = { ...(answer as unknown as GetFaceLivenessSessionResultsResponse) };
    if (answer.ReferenceImage !== undefined) output.ReferenceImage = imageOf(answer.ReferenceImage);
    if (Array.isArray(answer.AuditImages)) {
      output.AuditImages = answer.AuditImages.map((image) => imageOf(image) as AuditImage);
    }
    return output;
  }
}

/** The function's Rekognition client, made at the first use and shared by its adapters. */
export function defaultRekognitionCalls(): JsonCalls {
  return sharedJsonClient(REKOGNITION);
}
