import {
  CompareFacesCommand,
  DetectFacesCommand,
  DetectTextCommand,
  IndexFacesCommand,
  RekognitionClient,
  SearchFacesByImageCommand,
} from '@aws-sdk/client-rekognition';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditProcessorLog, ProcessorLogReader } from '../../../lambdas/adapters/aws/audit-processor-log.ts';
import { RekognitionFaceDetector } from '../../../lambdas/adapters/aws/rekognition-face-detector.ts';
import { RekognitionDocumentText } from '../../../lambdas/adapters/aws/rekognition-document-text.ts';
import { RekognitionFaceService } from '../../../lambdas/adapters/aws/rekognition-face-service.ts';
import { chainEvent } from '../../../lambdas/domain/audit-chain.ts';
import type { AuditEvent, AuditEventInput } from '../../../lambdas/domain/records.ts';
import type { ProcessorCall } from '../../../lambdas/ports/processor-log.ts';
import { sdkCalls } from '../../../local/aws/sdk-calls.ts';
import * as rekognitionSdk from '@aws-sdk/client-rekognition';

/** The Rekognition adapters that hand vault images over. */
interface Services {
  readonly faces: RekognitionFaceService;
  readonly text: RekognitionDocumentText;
}
const rekognition = mockClient(RekognitionClient);
afterEach(() => rekognition.reset());

const selfie = { bucket: 'vault', key: 'evidence/v-1/a-1/selfie', versionId: 'ver-s' };
const front = { bucket: 'vault', key: 'evidence/v-1/a-1/document_front', versionId: 'ver-f' };
const meta = (requestId: string) => ({ $metadata: { requestId } });

function recorder() {
  const calls: ProcessorCall[] = [];
  return { calls, log: { record: async (call: ProcessorCall) => void calls.push(call) } };
}

/** An in-memory audit log that chains events like the DynamoDB one. */
function memoryAudit() {
  const events: AuditEvent[] = [];
  return {
    events,
    append: async (input: AuditEventInput) => {
      const previous = [...events].reverse().find((event) => event.subject === input.subject);
      const event = chainEvent(previous, input, new Date());
      events.push(event);
      return event;
    },
    list: async (subject: string) => events.filter((event) => event.subject === subject),
  };
}

describe('processor log: every image sent to Rekognition is recorded', () => {
  it.each([
    ['CompareFaces', 'face_match', (s: Services) => s.faces.compareFaces(selfie, front), CompareFacesCommand, 2],
    [
      'SearchFacesByImage',
      'duplicate_search',
      (s: Services) => s.faces.searchFaces(selfie, 95),
      SearchFacesByImageCommand,
      1,
    ],
    [
      'IndexFaces',
      'duplicate_index',
      (s: Services) => s.faces.indexFace(selfie, { userId: 'u-1', attemptId: 'a-1' }),
      IndexFacesCommand,
      1,
    ],
    ['DetectText', 'document_data', (s: Services) => s.text.detectText(front), DetectTextCommand, 1],
  ] as const)(
    '%s: processor, operation, object key and version, purpose, time and request id',
    async (operation, purpose, act, command, images) => {
      // Prepare
      const { calls, log } = recorder();
      rekognition.on(command as never).resolves({
        ...meta(`req-${operation}`),
        ...(operation === 'IndexFaces' ? { FaceRecords: [{ Face: { FaceId: 'f-1' } }] } : {}),
      } as never);
      const client = sdkCalls(new RekognitionClient({}), rekognitionSdk);
      const services: Services = {
        faces: new RekognitionFaceService({ collectionId: 'faces', client, processorLog: log }),
        text: new RekognitionDocumentText({ client, processorLog: log }),
      };

      // Act
      await act(services);

      // Assess
      expect(calls).toHaveLength(images);
      for (const call of calls) {
        expect(call).toMatchObject({
          processor: 'rekognition',
          operation,
          purpose,
          verificationId: 'v-1',
          attemptId: 'a-1',
          requestId: `req-${operation}`,
          succeeded: true,
        });
        expect(Date.parse(call.at)).not.toBeNaN();
      }
      expect(calls.map((call) => [call.objectKey, call.objectVersion])).toContainEqual(
        operation === 'DetectText' ? [front.key, 'ver-f'] : [selfie.key, 'ver-s'],
      );
    },
  );

  it('records a call that failed after the image was sent, with the request id of the failure', async () => {
    // Prepare
    const { calls, log } = recorder();
    rekognition
      .on(CompareFacesCommand)
      .rejects(
        Object.assign(new Error('throttled'), { name: 'ThrottlingException', $metadata: { requestId: 'req-x' } }),
      );
    const service = new RekognitionFaceService({
      collectionId: 'faces',
      client: sdkCalls(new RekognitionClient({}), rekognitionSdk),
      processorLog: log,
    });

    // Act
    const outcome = service.compareFaces(selfie, front);

    // Assess
    await expect(outcome).rejects.toThrow('throttled');
    expect(calls.map((call) => [call.operation, call.succeeded, call.requestId])).toEqual([
      ['CompareFaces', false, 'req-x'],
      ['CompareFaces', false, 'req-x'],
    ]);
  });

  it('records DetectFaces of the quality gate against the upload being checked', async () => {
    // Prepare
    const { calls, log } = recorder();
    rekognition.on(DetectFacesCommand).resolves({ ...meta('req-df'), FaceDetails: [] });
    const detector = new RekognitionFaceDetector(sdkCalls(new RekognitionClient({}), rekognitionSdk), {
      processorLog: log,
      currentObject: () => ({
        verificationId: 'v-9',
        attemptId: 'a-9',
        key: 'intake/v-9/a-9/selfie',
        versionId: 'iv-1',
      }),
    });

    // Act
    await detector.detectFaces(new Uint8Array([1, 2, 3]));

    // Assess
    expect(calls).toEqual([
      expect.objectContaining({
        processor: 'rekognition',
        operation: 'DetectFaces',
        purpose: 'quality_gate',
        verificationId: 'v-9',
        objectKey: 'intake/v-9/a-9/selfie',
        objectVersion: 'iv-1',
        requestId: 'req-df',
      }),
    ]);
  });

  it('keeps the log on the case audit chain and reads it back in order', async () => {
    // Prepare
    const audit = memoryAudit();
    const log = new AuditProcessorLog({ audit, actor: 'system:face-match' });
    const service = new RekognitionFaceService({
      collectionId: 'faces',
      client: sdkCalls(new RekognitionClient({}), rekognitionSdk),
      processorLog: log,
    });
    rekognition.on(CompareFacesCommand).resolves(meta('req-1'));
    rekognition.on(DetectTextCommand).resolves(meta('req-2'));
    await audit.append({ subject: 'verification:v-1', action: 'verification.created', actor: 'u-1' });

    // Act
    await service.compareFaces(selfie, front);
    await new RekognitionDocumentText({
      client: sdkCalls(new RekognitionClient({}), rekognitionSdk),
      processorLog: log,
    }).detectText(front);
    const entries = await new ProcessorLogReader(audit).list('v-1');

    // Assess
    expect(entries.map((entry) => [entry.operation, entry.objectKey, entry.requestId, entry.actor])).toEqual([
      ['CompareFaces', selfie.key, 'req-1', 'system:face-match'],
      ['CompareFaces', front.key, 'req-1', 'system:face-match'],
      ['DetectText', front.key, 'req-2', 'system:face-match'],
    ]);
    expect(audit.events.filter((event) => event.action === 'processor.invoked')).toHaveLength(3);
  });
});
