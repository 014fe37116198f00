/**
 * The SDK's standard retry mode, for the clients this project builds from the SDK's parts
 * (`S3RestClient`, `AwsJsonClient`): the SDK's own `StandardRetryStrategy` (3 attempts by
 * default, exponential backoff with jitter, a retry quota) fed with the SDK's own error
 * classification, as its retry middleware feeds it.
 */
import { isServerError, isThrottlingError, isTransientError, type StandardRetryStrategy } from '@smithy/core/retry';

/** How the SDK's retry middleware classifies an error for its retry strategy. */
export function retryErrorType(error: unknown): 'THROTTLING' | 'TRANSIENT' | 'SERVER_ERROR' | 'CLIENT_ERROR' {
  const sdkError = error as Parameters<typeof isThrottlingError>[0];
  if (isThrottlingError(sdkError)) return 'THROTTLING';
  if (isTransientError(sdkError)) return 'TRANSIENT';
  return isServerError(sdkError) ? 'SERVER_ERROR' : 'CLIENT_ERROR';
}

/**
 * Runs `attempt` until it succeeds or the strategy refuses another try (a client error, the
 * attempts used up, the retry quota spent); then the last error is thrown.
 *
 * @example
 * ```ts
 * const answer = await withRetries(new StandardRetryStrategy(3), 'dynamodb', () => send(request));
 * ```
 */
export async function withRetries<T>(
  strategy: StandardRetryStrategy,
  partition: string,
  attempt: () => Promise<T>,
): Promise<T> {
  let token = await strategy.acquireInitialRetryToken(partition);
  for (;;) {
    try {
      const result = await attempt();
      strategy.recordSuccess(token);
      return result;
    } catch (error) {
      try {
        token = await strategy.refreshRetryTokenForRetry(token, { errorType: retryErrorType(error) });
      } catch {
        throw error;
      }
      const delay = token.getRetryDelay();
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
