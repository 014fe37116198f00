/**
 * A one-page PDF proof of address for tests that upload an Advanced attempt, padded with
 * comment lines past the upload's 100 KB floor (the presigned POST's `content-length-range`).
 *
 * @example
 * ```ts
 * await client.upload(post, PROOF_OF_ADDRESS_PDF, 'application/pdf', 'proof_of_address.pdf');
 * ```
 */
export const PROOF_OF_ADDRESS_PDF = Buffer.from(
  [
    '%PDF-1.4',
    '1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj',
    '2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj',
    '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj',
    ...Array.from(
      { length: 1_700 },
      (_, line) => `% statement line ${String(line).padStart(5, '0')} ${'.'.repeat(48)}`,
    ),
    'trailer << /Root 1 0 R >>',
    '%%EOF',
  ].join('\n'),
  'latin1',
);
