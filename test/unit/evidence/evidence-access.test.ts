import { describe, expect, it } from 'vitest';
import {
  accessIdBytes,
  accessIdFromBytes,
  downloadRefusal,
  exportDecisionRefusal,
  exportExpiry,
  exportStatusAt,
  mayViewDocuments,
  newAccessId,
} from '../../../lambdas/domain/evidence-access.ts';
import { ROLES, type Role } from '../../../lambdas/domain/verification.ts';

const NOW = new Date('2026-11-30T12:00:00.000Z');

describe('evidence access rules', () => {
  it('makes 64-bit random access ids that survive the trip through watermark bytes', () => {
    // Act
    const ids = Array.from({ length: 200 }, () => newAccessId());

    // Assess
    expect(new Set(ids).size).toBe(200);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{16}$/);
      expect(accessIdFromBytes(accessIdBytes(id))).toBe(id);
    }
    expect(() => accessIdBytes('not-an-id')).toThrow(RangeError);
  });

  it.each(ROLES.map((role) => [role, role === 'compliance_reviewer' || role === 'compliance_approver'] as const))(
    'lets %s view documents: %s',
    (role, allowed) => {
      // Assess
      expect(mayViewDocuments([role])).toBe(allowed);
    },
  );

  it.each<[string, { userId: string; roles: Role[] }, string | undefined]>([
    ['another approver', { userId: 'bob', roles: ['compliance_approver'] }, undefined],
    [
      'the requester, even as approver and admin',
      { userId: 'alice', roles: ['compliance_approver', 'admin'] },
      'own_request',
    ],
    ['a reviewer', { userId: 'carol', roles: ['compliance_reviewer'] }, 'not_approver'],
    ['an admin', { userId: 'dan', roles: ['admin'] }, 'not_approver'],
  ])('two-person rule: %s -> %s', (_who, caller, refusal) => {
    // Assess
    expect(exportDecisionRefusal(caller, { requestedBy: 'alice' })).toBe(refusal);
  });

  it('expires a pending request after the configured hours, and only a pending one', () => {
    // Prepare
    const expiresAt = exportExpiry(NOW, 24);

    // Assess
    expect(expiresAt).toBe('2026-12-01T12:00:00.000Z');
    expect(exportStatusAt({ status: 'pending_approval', expiresAt }, new Date(Date.parse(expiresAt) - 1))).toBe(
      'pending_approval',
    );
    expect(exportStatusAt({ status: 'pending_approval', expiresAt }, new Date(expiresAt))).toBe('expired');
    expect(exportStatusAt({ status: 'ready', expiresAt }, new Date('2027-01-01'))).toBe('ready');
  });

  it.each<
    [
      string,
      { presented?: string; downloadedAt?: string; downloadExpiresAt?: string; status?: 'approved' },
      string | undefined,
    ]
  >([
    ['a ready, unused, fresh link', {}, undefined],
    ['a wrong token', { presented: 'f'.repeat(64) }, 'bad_token'],
    ['a used link', { downloadedAt: NOW.toISOString() }, 'already_downloaded'],
    ['an expired link', { downloadExpiresAt: '2026-11-30T11:59:59.000Z' }, 'link_expired'],
    ['an export not ready', { status: 'approved' }, 'not_ready'],
  ])('one-time download: %s -> %s', (_label, change, refusal) => {
    // Prepare
    const record = {
      status: 'ready' as const,
      downloadTokenHash: 'a'.repeat(64),
      downloadExpiresAt: '2026-11-30T12:10:00.000Z',
      ...change,
    };

    // Act
    const result = downloadRefusal(record, change.presented ?? 'a'.repeat(64), NOW);

    // Assess
    expect(result).toBe(refusal);
  });
});
