/**
 * A Lambda `Context` for handlers invoked in-process by the local runtime, with the fields
 * Powertools and middy read (function name, request id, remaining time).
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID } from '../http/api-gateway-event.ts';

export interface LambdaContextOptions {
  readonly functionName: string;
  readonly timeoutMs: number;
  readonly region: string;
  readonly memoryLimitInMB?: number;
}

/**
 * @example
 * ```ts
 * const context = createLambdaContext({ functionName: 'on-upload', timeoutMs: 30_000, region: 'eu-west-1' });
 * await handler(event, context);
 * ```
 */
export function createLambdaContext(options: LambdaContextOptions): Context {
  const deadline = Date.now() + options.timeoutMs;
  const fail = (): never => {
    throw new Error('Callback-style completion is not supported: handlers must be async');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: options.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${options.region}:${LOCAL_ACCOUNT_ID}:function:${options.functionName}`,
    memoryLimitInMB: String(options.memoryLimitInMB ?? 1024),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: `local/${options.functionName}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: fail,
    fail,
    succeed: fail,
  };
}
