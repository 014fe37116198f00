/**
 * The HTTP API's route table: pure data read by the CDK API construct (one function and one
 * route per entry) and by the local runtime's router, so both serve exactly the same API.
 * To add a route, append an entry; `entry` is the handler file relative to the repository root
 * and `exportName` the exported middy handler in it.
 *
 * @example
 * ```ts
 * const route = routeFor('GET', '/v1/verifications/{id}');
 * route.roles; // ['user', 'support', 'compliance_reviewer', 'compliance_approver', 'admin']
 * ```
 */
import type { Role } from '../../domain/verification.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRoute {
  readonly method: HttpMethod;
  /** API Gateway path template, e.g. `/v1/verifications/{id}`. */
  readonly path: string;
  /** Handler file, relative to the repository root. */
  readonly entry: string;
  /** Exported handler in `entry`. */
  readonly exportName: string;
  /** Roles allowed to call the route (checked by the handler from the JWT groups). */
  readonly roles: readonly Role[];
  /**
   * No JWT authorizer: the health check, and the one-time export download whose link carries
   * its own single-use token.
   */
  readonly public?: boolean;
  /** Why the route may be public (cdk-nag suppression text); required with `public`. */
  readonly publicReason?: string;
  /** Native packages installed into the function's bundle (e.g. `sharp`). */
  readonly nodeModules?: readonly string[];
  /** Function memory in MB (512); image work needs more, and gets more CPU with it. */
  readonly memorySize?: number;
  /** AWS services the handler calls, for the CDK construct's least-privilege grants. */
  readonly uses: readonly RouteDependency[];
}

/**
 * What a route's function touches; the API construct turns each into the narrowest grant
 * (e.g. `verifications:write` -> PutItem/UpdateItem on the verifications table only).
 */
export type RouteDependency =
  | 'verifications:read'
  /** Query on the verifications table only (the status view reads a verification and its attempts in one Query). */
  | 'verifications:query'
  /** Query on the verifications table's indexes (byStatus, byReviewer, byUser). */
  | 'verifications:queryIndexes'
  | 'verifications:write'
  | 'audit:append'
  /** Query on the audit table only (read a subject's chain). */
  | 'audit:read'
  | 'rateLimits:readWrite'
  /** Per-user quota counter of an expensive route (UpdateItem on `ROUTE#` keys of the rate-limit table). */
  | 'rateLimits:routeQuota'
  | 'dataKey:generate'
  | 'intake:presign'
  | 'liveness:createSession'
  /** states:SendTaskSuccess on the verification workflow (review decisions). */
  | 'workflow:completeReview'
  /** events:PutEvents on the verification bus (status changes outside the workflow). */
  | 'events:publish'
  /** GetObject (any version) on `evidence/` of the vault, Decrypt through S3. */
  | 'vault:readEvidence'
  /** PutObject on `views/` of the renditions bucket, and GetObject there to presign the 60 s GET. */
  | 'renditions:views'
  /** PutObject on `exports/` of the renditions bucket (export packages). */
  | 'renditions:writeExports'
  /** GetObject on `exports/` of the renditions bucket, to presign the one-time download. */
  | 'renditions:readExports'
  /** kms:GenerateMac on the HMAC key: the invisible watermark's keyed MAC. */
  | 'watermark:mac'
  /** kms:Decrypt of sealed personal data (encryption context purpose = personal-data). */
  | 'personalData:open'
  /** Get/PutObjectRetention and Get/PutObjectLegalHold on the vault's evidence (never delete). */
  | 'vault:lockEvidence'
  /** GetObjectRetention and GetObjectLegalHold on the vault's evidence (read the lock state only). */
  | 'vault:readLocks'
  /** DeleteObjectVersion on the vault's evidence and ListBucketVersions there (S3 refuses locked versions). */
  /** DeleteFaces on the face collection (an erased attempt's indexed faces). */
  | 'faces:remove'
  | 'vault:deleteEvidence'
  /** DeleteItem on the verifications table (erasure of records whose retention ended). */
  | 'verifications:delete'
  /** DeleteItem on the rate-limit table (a person's counters, on their erasure request). */
  | 'rateLimits:erase'
  /** List and DeleteObject under `intake/` and `liveness/` of the intake bucket (leftovers of erased attempts). */
  | 'intake:eraseLeftovers'
  /** PutObject on `subject-access/` of the renditions bucket, and GetObject there to presign the download. */
  | 'renditions:subjectAccess'
  /** PutObject on `support/` of the renditions bucket, and GetObject there to presign the 60 s GET. */
  | 'renditions:support'
  /** rekognition:DetectFaces and DetectText on image bytes (locating what to redact). */
  | 'rekognition:detectFacesAndText';

const STAFF_VIEWERS: readonly Role[] = ['support', 'compliance_reviewer', 'compliance_approver', 'admin'];
/** Compliance roles (PRODUCT §7: document views, exports). */
const COMPLIANCE: readonly Role[] = ['compliance_reviewer', 'compliance_approver'];

export const HTTP_ROUTES: readonly HttpRoute[] = [
  {
    method: 'GET',
    path: '/health',
    entry: 'lambdas/handlers/http/health.ts',
    exportName: 'handler',
    roles: [],
    public: true,
    uses: [],
  },
  {
    method: 'POST',
    path: '/v1/verifications',
    entry: 'lambdas/handlers/http/create-verification.ts',
    exportName: 'handler',
    roles: ['user'],
    uses: ['verifications:read', 'verifications:write', 'audit:append', 'dataKey:generate', 'rateLimits:readWrite'],
  },
  {
    method: 'POST',
    path: '/v1/verifications/{id}/attempts',
    entry: 'lambdas/handlers/http/create-attempt.ts',
    exportName: 'handler',
    roles: ['user'],
    uses: [
      'verifications:read',
      'verifications:write',
      'audit:append',
      'rateLimits:readWrite',
      'intake:presign',
      'liveness:createSession',
    ],
  },
  {
    method: 'GET',
    path: '/v1/verifications/{id}',
    entry: 'lambdas/handlers/http/get-verification.ts',
    exportName: 'handler',
    roles: ['user', ...STAFF_VIEWERS],
    uses: ['verifications:query'],
  },
  {
    method: 'POST',
    path: '/v1/reviews/{verificationId}/decision',
    entry: 'lambdas/handlers/http/review-decision.ts',
    exportName: 'handler',
    roles: ['compliance_reviewer'],
    uses: ['verifications:read', 'verifications:write', 'audit:append', 'workflow:completeReview'],
  },
  {
    method: 'GET',
    path: '/v1/reviews',
    entry: 'lambdas/handlers/http/list-reviews.ts',
    exportName: 'handler',
    roles: ['compliance_reviewer', 'compliance_approver', 'admin'],
    uses: ['verifications:read', 'verifications:queryIndexes', 'rateLimits:routeQuota'],
  },
  {
    method: 'POST',
    path: '/v1/verifications/{id}/reset',
    entry: 'lambdas/handlers/http/reset-verification.ts',
    exportName: 'handler',
    roles: ['support'],
    // Records a pending reset request (PutItem); the verification itself is not written.
    uses: ['verifications:read', 'verifications:write', 'audit:append'],
  },
  {
    method: 'POST',
    path: '/v1/verifications/{id}/reset-requests/{requestId}/decision',
    entry: 'lambdas/handlers/http/reset-verification.ts',
    exportName: 'decisionHandler',
    // Four eyes: never the support member who asked (checked by user id in the handler).
    roles: ['compliance_approver'],
    uses: ['verifications:read', 'verifications:write', 'audit:append', 'events:publish'],
  },
  {
    method: 'POST',
    path: '/v1/cases/{verificationId}/documents/{slot}/view',
    entry: 'lambdas/handlers/http/view-document.ts',
    exportName: 'handler',
    roles: COMPLIANCE,
    uses: [
      'verifications:read',
      'verifications:write',
      'audit:append',
      'vault:readEvidence',
      'renditions:views',
      'watermark:mac',
      'rateLimits:routeQuota',
    ],
    nodeModules: ['sharp'],
    memorySize: 1536,
  },
  {
    method: 'POST',
    path: '/v1/exports',
    entry: 'lambdas/handlers/http/create-export.ts',
    exportName: 'handler',
    roles: COMPLIANCE,
    uses: ['verifications:read', 'verifications:write', 'audit:append', 'rateLimits:routeQuota'],
  },
  {
    method: 'GET',
    path: '/v1/exports/{exportId}',
    entry: 'lambdas/handlers/http/get-export.ts',
    exportName: 'handler',
    roles: COMPLIANCE,
    uses: ['verifications:read', 'verifications:write', 'audit:append'],
  },
  {
    method: 'POST',
    path: '/v1/exports/{exportId}/approve',
    entry: 'lambdas/handlers/http/approve-export.ts',
    exportName: 'handler',
    roles: ['compliance_approver'],
    uses: [
      'verifications:read',
      'verifications:write',
      'audit:append',
      'vault:readEvidence',
      'renditions:writeExports',
      'watermark:mac',
      'personalData:open',
      'rateLimits:routeQuota',
    ],
    nodeModules: ['sharp'],
    memorySize: 1536,
  },
  {
    method: 'POST',
    path: '/v1/exports/{exportId}/reject',
    entry: 'lambdas/handlers/http/reject-export.ts',
    exportName: 'handler',
    roles: ['compliance_approver'],
    uses: ['verifications:read', 'verifications:write', 'audit:append'],
  },
  {
    method: 'GET',
    path: '/v1/exports/{exportId}/download',
    entry: 'lambdas/handlers/http/download-export.ts',
    exportName: 'handler',
    roles: [],
    public: true,
    publicReason:
      'One-time export download: the link carries a 256-bit single-use token (only its SHA-256 is stored), valid at ' +
      'most 10 minutes, consumed atomically and audited before the redirect; a browser download cannot send a JWT.',
    uses: ['verifications:read', 'verifications:write', 'audit:append', 'renditions:readExports'],
  },
  {
    method: 'POST',
    path: '/v1/accounts/{userId}/close',
    entry: 'lambdas/handlers/http/close-account.ts',
    exportName: 'handler',
    roles: ['admin'],
    uses: [
      'verifications:read',
      'verifications:queryIndexes',
      'verifications:write',
      'audit:append',
      'vault:lockEvidence',
    ],
  },
  {
    method: 'POST',
    path: '/v1/cases/{verificationId}/legal-hold',
    entry: 'lambdas/handlers/http/legal-hold.ts',
    exportName: 'handler',
    roles: ['compliance_approver', 'admin'],
    uses: ['verifications:read', 'verifications:write', 'audit:append', 'vault:lockEvidence'],
  },
  {
    method: 'GET',
    path: '/v1/cases',
    entry: 'lambdas/handlers/http/list-cases.ts',
    exportName: 'handler',
    roles: ['compliance_reviewer', 'compliance_approver', 'admin'],
    // The byStatus, byReviewer and byQueue indexes only: never a scan, never the base table.
    uses: ['verifications:queryIndexes'],
  },
  {
    method: 'GET',
    path: '/v1/cases/{verificationId}',
    entry: 'lambdas/handlers/http/get-case.ts',
    exportName: 'handler',
    roles: COMPLIANCE,
    // Audits the read (and reads the processor log from the chain), then opens the personal data.
    uses: ['verifications:read', 'audit:append', 'personalData:open', 'rateLimits:routeQuota'],
  },
  {
    method: 'POST',
    path: '/v1/cases/{verificationId}/claim',
    entry: 'lambdas/handlers/http/claim-case.ts',
    exportName: 'handler',
    roles: ['compliance_reviewer'],
    uses: ['verifications:read', 'verifications:write', 'audit:append'],
  },
  {
    method: 'POST',
    path: '/v1/cases/{verificationId}/assign',
    entry: 'lambdas/handlers/http/assign-case.ts',
    exportName: 'handler',
    roles: ['compliance_approver', 'admin'],
    uses: ['verifications:read', 'verifications:write', 'audit:append'],
  },
  {
    method: 'POST',
    path: '/v1/cases/{verificationId}/notes',
    entry: 'lambdas/handlers/http/add-case-note.ts',
    exportName: 'handler',
    roles: COMPLIANCE,
    uses: ['verifications:read', 'verifications:write', 'audit:append'],
  },
  {
    method: 'GET',
    path: '/v1/cases/{verificationId}/audit',
    entry: 'lambdas/handlers/http/case-audit.ts',
    exportName: 'handler',
    roles: ['compliance_reviewer', 'compliance_approver', 'admin'],
    // Appends `audit_trail.viewed` before it reads (the append grant includes the chain's Query).
    uses: ['verifications:read', 'audit:append'],
  },
  {
    method: 'GET',
    path: '/v1/me/data',
    entry: 'lambdas/handlers/http/me-data.ts',
    exportName: 'handler',
    // The caller's own data only: ids come from the token's subject, never from the request.
    roles: ['user'],
    uses: [
      'verifications:read',
      'verifications:queryIndexes',
      'verifications:write',
      'audit:append',
      'vault:readEvidence',
      'renditions:subjectAccess',
      'watermark:mac',
      'personalData:open',
      'rateLimits:routeQuota',
    ],
    nodeModules: ['sharp'],
    memorySize: 1536,
  },
  {
    method: 'POST',
    path: '/v1/me/erasure',
    entry: 'lambdas/handlers/http/me-erasure.ts',
    exportName: 'handler',
    roles: ['user'],
    uses: [
      'verifications:read',
      'verifications:queryIndexes',
      'verifications:write',
      'verifications:delete',
      'audit:append',
      'vault:readLocks',
      'vault:deleteEvidence',
      'intake:eraseLeftovers',
      'faces:remove',
      'rateLimits:erase',
    ],
  },
  {
    method: 'GET',
    path: '/v1/support/verifications/{verificationId}',
    entry: 'lambdas/handlers/http/support-verification.ts',
    exportName: 'handler',
    roles: ['support'],
    uses: [
      'verifications:read',
      // The access record of the thumbnail (PutItem); the verification itself is not written.
      'verifications:write',
      'audit:append',
      'personalData:open',
      'vault:readEvidence',
      'renditions:support',
      'watermark:mac',
      'rekognition:detectFacesAndText',
      'rateLimits:routeQuota',
    ],
    nodeModules: ['sharp'],
    memorySize: 1536,
  },
  {
    method: 'GET',
    path: '/v1/metrics',
    entry: 'lambdas/handlers/http/get-metrics.ts',
    exportName: 'handler',
    roles: ['compliance_reviewer', 'compliance_approver', 'admin'],
    // Counter items by key and Query on the base table (METRICS#<month>); never a Scan.
    uses: ['verifications:read'],
  },
];

/** Thrown when code asks for a route the table does not have (a programming error). */
export class UnknownRouteError extends Error {
  public constructor(
    public readonly method: string,
    public readonly path: string,
  ) {
    super(`No route ${method} ${path} in HTTP_ROUTES`);
    this.name = 'UnknownRouteError';
  }
}

/** The route entry for a method and path template. */
export function routeFor(method: HttpMethod, path: string): HttpRoute {
  const route = HTTP_ROUTES.find((candidate) => candidate.method === method && candidate.path === path);
  if (!route) throw new UnknownRouteError(method, path);
  return route;
}
