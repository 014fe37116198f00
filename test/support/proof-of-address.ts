/**
 * A one-page PDF proof of address for tests that upload an Advanced attempt: a few hundred
 * bytes, as a real statement can be (the 100 KB floor is for photos; a PDF has none).
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
    '% Statement: account 0000, 1 High Street',
    'trailer << /Root 1 0 R >>',
    '%%EOF',
  ].join('\n'),
  'latin1',
);
