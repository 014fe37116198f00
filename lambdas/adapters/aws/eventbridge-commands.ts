/**
 * The EventBridge call the functions make (PutEvents), over {@link AwsJsonClient}
 * (`aws-json-client.ts` says why not the SDK's client): the SDK's command name, input and output.
 * Only the regional endpoint: a global endpoint (`EndpointId`, signed with SigV4a) is not supported.
 */
import type { PutEventsRequest, PutEventsResponse } from '@aws-sdk/client-eventbridge';
import { EVENTBRIDGE, JsonCommand, sharedJsonClient, type JsonCalls } from './aws-json-client.ts';

export class PutEventsCommand extends JsonCommand<Omit<PutEventsRequest, 'EndpointId'>, PutEventsResponse> {
  public readonly operation = 'PutEvents';
}

/** The function's EventBridge client, made at the first use and shared by its adapters. */
export function defaultEventBridgeCalls(): JsonCalls {
  return sharedJsonClient(EVENTBRIDGE);
}
