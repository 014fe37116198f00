/**
 * The template's `AWS::Lambda::EventSourceMapping` resources on DynamoDB streams, run locally:
 * one `DynamoDbStreamPoller` per mapping, invoking the mapped function in-process. (SQS and
 * Kinesis mappings are not used by the app and are not emulated.)
 */
import type { LocalFunction } from '../template/local-functions.ts';
import type { LocalResources } from '../template/local-resources.ts';
import { DynamoDbStreamPoller } from './dynamodb-stream-poller.ts';

export function startStreamPollers(
  resources: LocalResources,
  functions: readonly LocalFunction[],
  invokeFunction: (fn: LocalFunction, payload: unknown) => Promise<unknown>,
  options: { endpoint: string; region: string; stateDir: string; log: (line: string) => void },
): DynamoDbStreamPoller[] {
  const pollers: DynamoDbStreamPoller[] = [];
  for (const mapping of resources.ofType('AWS::Lambda::EventSourceMapping')) {
    const source = String(resources.resolve(mapping.stackName, mapping.properties.EventSourceArn));
    const table = /:table\/([^/]+)\/stream\//.exec(source)?.[1];
    if (!table) continue;
    const name = String(resources.resolve(mapping.stackName, mapping.properties.FunctionName));
    const fn = functions.find((candidate) => candidate.name === name || candidate.arn === name);
    if (!fn) {
      options.log(`stream of ${table}: function ${name} is not run locally`);
      continue;
    }
    const batchSize = Number(mapping.properties.BatchSize ?? 100);
    const poller = new DynamoDbStreamPoller({
      endpoint: options.endpoint,
      region: options.region,
      tableName: table,
      stateDir: options.stateDir,
      batchSize: Math.min(Math.max(batchSize, 1), 1000),
      invoke: (event) => invokeFunction(fn, event),
      log: options.log,
    });
    poller.start();
    pollers.push(poller);
  }
  return pollers;
}
