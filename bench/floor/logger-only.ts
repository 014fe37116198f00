/**
 * Floor of a lean function's bundle (`npm run bench -- bundles`): a handler that only logs,
 * with the Powertools Logger and middy every function of the app uses, and nothing else.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';

const logger = new Logger({ serviceName: 'floor' });

export const handler = middy(async (event: { id?: string }) => {
  logger.info('handled', { id: event.id });
  return { ok: true };
});
