/**
 * A local JSON-protocol endpoint (`startJsonProtocolServer`) with an SDK client pointed at it,
 * for the endpoint tests of this folder.
 *
 * @example
 * ```ts
 * const endpoint = await startJsonEndpoint({ AWSStepFunctions: stepFunctionsOperations(engine) }, SFNClient);
 * await endpoint.client.send(new ListStateMachinesCommand({}));
 * await endpoint.close();
 * ```
 */
import { startJsonProtocolServer, type JsonOperation } from '../../../local/runtime/aws-json/json-protocol-server.ts';

interface SdkClient {
  destroy(): void;
}

export async function startJsonEndpoint<C extends SdkClient>(
  services: Record<string, Record<string, JsonOperation>>,
  Client: new (config: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
  }) => C,
): Promise<{ client: C; close(): Promise<void> }> {
  const server = await startJsonProtocolServer(services, 0);
  const client = new Client({
    endpoint: server.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    client,
    async close() {
      client.destroy();
      await server.close();
    },
  };
}
