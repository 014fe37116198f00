/**
 * What a Lambda bundle with the S3 client imports in place of `@smithy/core/event-streams`, the
 * SDK's event-stream codec (about 15 KB; `lib/bundling/lambda-bundle.ts` substitutes it). The S3
 * client wires a codec in as it is built, for the one S3 operation that answers in an event
 * stream, `SelectObjectContent`, which no function calls. Here the wiring stays and the codec is
 * gone: an event-stream call fails at once with {@link EventStreamsNotBundledError} instead of
 * loading code no function needs. The local runtime and the tests run the source and keep the
 * whole codec.
 */

/** Thrown by any use of an event stream in a Lambda bundle. */
export class EventStreamsNotBundledError extends Error {
  constructor() {
    super(
      'Event streams (S3 SelectObjectContent) are left out of this Lambda bundle; see lib/bundling/lambda-bundle.ts',
    );
    this.name = 'EventStreamsNotBundledError';
  }
}

interface SerdeInput {
  readonly eventStreamSerdeProvider: (input: never) => unknown;
}

/** As the SDK's: the client's `eventStreamMarshaller` from its provider. */
export const resolveEventStreamSerdeConfig = <T extends SerdeInput>(input: T): T & { eventStreamMarshaller: unknown } =>
  Object.assign(input, { eventStreamMarshaller: input.eventStreamSerdeProvider(input as never) });

/** A marshaller that refuses to serialize or deserialize. */
export const eventStreamSerdeProvider = (): { serialize(): never; deserialize(): never } => ({
  serialize() {
    throw new EventStreamsNotBundledError();
  },
  deserialize() {
    throw new EventStreamsNotBundledError();
  },
});

/** What the protocol builds for an operation with an event stream: refused. */
export class EventStreamSerde {
  constructor() {
    throw new EventStreamsNotBundledError();
  }
}
