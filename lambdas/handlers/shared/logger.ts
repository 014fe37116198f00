/**
 * The one Powertools logger of a function. Log ids, statuses and reason codes only: never names,
 * dates of birth, document numbers, addresses or image bytes (PRODUCT §5).
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: 'serverless-kyc' });
