import { describe, expect, it } from 'vitest';
import { caseNoteSchema } from '../../../lambdas/handlers/http/add-case-note.ts';
import { closeAccountSchema } from '../../../lambdas/handlers/http/close-account.ts';
import { createExportSchema } from '../../../lambdas/handlers/http/create-export.ts';
import { legalHoldSchema } from '../../../lambdas/handlers/http/legal-hold.ts';
import { BadRequestError } from '../../../lambdas/handlers/http/middleware/http-errors.ts';
import { validateBody } from '../../../lambdas/handlers/http/middleware/validate.ts';
import { rejectExportSchema } from '../../../lambdas/handlers/http/reject-export.ts';
import { resetDecisionSchema, resetSchema } from '../../../lambdas/handlers/http/reset-verification.ts';
import { reviewDecisionSchema } from '../../../lambdas/handlers/http/review-decision.ts';
import { viewDocumentSchema } from '../../../lambdas/handlers/http/view-document.ts';
import { describe as describeTrace } from '../../../local/cli/commands/watermark.ts';
import { terminalSafe } from '../../../local/cli/io.ts';

/** The code of the 400 a body gets, or 'accepted'. */
function verdict(schema: Parameters<typeof validateBody>[0], body: unknown): string {
  try {
    validateBody(schema, body);
    return 'accepted';
  } catch (error) {
    if (error instanceof BadRequestError) return error.code;
    throw error;
  }
}

// Every free-text field staff write into the record, with the rest of a valid body.
const SINGLE_LINE = [
  ['document view reason', viewDocumentSchema, (text: string) => ({ reason: text })],
  ['export reason', createExportSchema, (text: string) => ({ verificationIds: ['v-1'], reason: text })],
  ['legal hold reason', legalHoldSchema, (text: string) => ({ on: true, reason: text })],
  ['account closure reason', closeAccountSchema, (text: string) => ({ reason: text })],
  ['reset reason', resetSchema, (text: string) => ({ reason: `${text} and more words` })],
] as const;
const MULTILINE = [
  ['case note', caseNoteSchema, (text: string) => ({ text })],
  ['review decision note', reviewDecisionSchema, (text: string) => ({ decision: 'approve', note: text })],
  ['reset decision note', resetDecisionSchema, (text: string) => ({ decision: 'approve', note: text })],
  ['export rejection note', rejectExportSchema, (text: string) => ({ note: text })],
] as const;
const ALL = [...SINGLE_LINE, ...MULTILINE];

describe('staff free text is stored as it reads', () => {
  it.each(ALL)('%s: plain text with accents is accepted', (_name, schema, body) => {
    expect(verdict(schema, body('Zoë asked: routine check (ticket 42)'))).toBe('accepted');
  });

  it.each(ALL)('%s: a terminal escape sequence or carriage return is refused', (_name, schema, body) => {
    expect(verdict(schema, body('routine\u001b[2K\r  Why:   legit'))).toBe('VALIDATION_ERROR');
    expect(verdict(schema, body('routine \u0000 check'))).toBe('VALIDATION_ERROR');
  });

  it.each(ALL)(
    '%s: bidi controls, zero-width characters and lone surrogates get their own codes',
    (_name, schema, body) => {
      expect(verdict(schema, body('routine \u202e check'))).toBe('BIDI_CONTROL_CHARACTER');
      expect(verdict(schema, body('routine \u200b check'))).toBe('ZERO_WIDTH_CHARACTER');
      expect(verdict(schema, body('routine \ud800 check'))).toBe('INVALID_UNICODE');
    },
  );

  it.each(SINGLE_LINE)('%s: a line break is refused (a reason is one line)', (_name, schema, body) => {
    expect(verdict(schema, body('routine\n  Who: someone else'))).toBe('VALIDATION_ERROR');
  });

  it.each(MULTILINE)('%s: line breaks and tabs are kept', (_name, schema, body) => {
    expect(verdict(schema, body('first line\n\tsecond line'))).toBe('accepted');
  });

  it('stores the text trimmed and in NFC', () => {
    const parsed = validateBody(viewDocumentSchema, { reason: '  Zoe\u0308 check  ' });
    expect(parsed.reason).toBe('Zoë check');
  });
});

describe('terminalSafe', () => {
  it('shows control, bidi and zero-width characters as escapes, and leaves other text alone', () => {
    expect(terminalSafe('routine\u001b[2K\r  Why: legit\u202e')).toBe('routine\\u{1b}[2K\\u{d}  Why: legit\\u{202e}');
    expect(terminalSafe('a\nb\u200bc\u0000')).toBe('a\\u{a}b\\u{200b}c\\u{0}');
    expect(terminalSafe('Zoë 王 #12 (compliance_reviewer)')).toBe('Zoë 王 #12 (compliance_reviewer)');
  });
});

describe('kyc watermark trace prints stored text through terminalSafe', () => {
  it('a reason or user agent written to forge the output cannot add or erase a line', () => {
    // Arrange: text stored before the reason check existed, or sent in a header (user agent)
    const forged = 'routine\u001b[2K\r  Why:   legit\n  Who:   app2 (compliance_approver)\u202e';
    // Act
    const printed = describeTrace({
      found: true,
      accessId: '0123456789abcdef',
      syncScore: 9.5,
      access: {
        accessId: '0123456789abcdef',
        kind: 'document_view',
        actor: 'rev1',
        actorRole: 'compliance_reviewer',
        reason: forged,
        at: '2026-12-03T07:00:00.000Z',
        verificationIds: ['v-1'],
        slot: 'document_front',
        userAgent: 'curl\u001b]0;pwned\u0007',
        auditSubject: 'verification:v-1',
        auditSequence: 7,
      },
    });
    // Assert: the lines the trace writes, and no others; no control character left
    expect(printed.split('\n').map((line) => line.trim().split(':')[0])).toEqual([
      'Watermark found',
      'Who',
      'When',
      'Why',
      'From',
      'Audit',
    ]);
    expect([...printed].filter((ch) => (ch < ' ' && ch !== '\n') || ch === '\u007f' || ch === '\u202e')).toEqual([]);
    expect(printed).toContain('Who:   rev1 (compliance_reviewer)');
    expect(printed).toContain('\\u{1b}[2K\\u{d}  Why:   legit\\u{a}  Who:   app2');
  });
});
