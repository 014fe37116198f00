/** `GET /health`: public liveness probe of the API; touches no data. */
import { httpHandler } from './middleware/http-handler.ts';
import { jsonResponse } from './middleware/types.ts';
import { routeFor } from './routes.ts';

export const handler = httpHandler(routeFor('GET', '/health'), async () => jsonResponse(200, { status: 'ok' }));
