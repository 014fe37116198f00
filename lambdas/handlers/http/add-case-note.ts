/**
 * `POST /v1/cases/{verificationId}/notes` `{ "text" }` (compliance_reviewer,
 * compliance_approver): adds a note to the case. Notes are append-only (stored with a
 * condition that refuses to overwrite, never updated or deleted) and audited first: the event
 * `case.note_added` carries the note id, length and SHA-256 of its text (not the text, which
 * may name the person), then the note is stored. 201 with the note.
 */
import { createHash, randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import { MAX_NOTE_LENGTH } from '../../domain/cases.ts';
import type { CaseNote } from '../../ports/case-store.ts';
import { resolveDeps, type DepsSource } from '../shared/lazy.ts';
import {
  actingRole,
  caseSubject,
  caseAuditLog,
  caseReviews,
  caseRouteSettings,
  caseStore,
  requireCaseVerification,
  type CaseRouteDeps,
} from './case-deps.ts';
import { httpHandler } from './middleware/http-handler.ts';
import { jsonResponse } from './middleware/types.ts';
import { validateBody } from './middleware/validate.ts';
import { routeFor } from './routes.ts';
import { staffText } from './staff-text.ts';

const ROUTE = routeFor('POST', '/v1/cases/{verificationId}/notes');

export const caseNoteSchema = z.strictObject({
  text: staffText({ min: 1, max: MAX_NOTE_LENGTH, multiline: true }),
});

export function createAddCaseNoteHandler(
  source: DepsSource<Pick<CaseRouteDeps, 'reviews' | 'cases' | 'audit' | 'clock'>> = () => ({
    ...caseRouteSettings(),
    reviews: caseReviews(),
    cases: caseStore(),
    audit: caseAuditLog(),
  }),
) {
  const getDeps = resolveDeps(source);
  return httpHandler(ROUTE, async (event) => {
    const { reviews, cases, audit, clock } = getDeps();
    const caller = event.caller!;
    const body = validateBody(caseNoteSchema, event.parsedBody);
    const verificationId = event.pathParameters?.verificationId ?? '';
    await requireCaseVerification(reviews, verificationId, caller);
    const role = actingRole(caller, ROUTE.roles);
    const note: CaseNote = {
      verificationId,
      noteId: randomUUID(),
      author: caller.userId,
      authorRole: role,
      text: body.text,
      createdAt: clock.now().toISOString(),
    };
    // Audited first: a stored note always has its event.
    await audit.append({
      subject: caseSubject(verificationId),
      action: 'case.note_added',
      actor: `${role}:${caller.userId}`,
      ...(event.requestContext?.http?.sourceIp ? { origin: event.requestContext.http.sourceIp } : {}),
      details: {
        noteId: note.noteId,
        length: note.text.length,
        sha256: createHash('sha256').update(note.text, 'utf8').digest('hex'),
      },
    });
    await cases.appendNote(note);
    return jsonResponse(201, note);
  });
}

export const handler = createAddCaseNoteHandler();
