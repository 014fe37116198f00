import { describe, expect, it } from 'vitest';
import { sniff } from '../../../lambdas/quality/sniff.ts';
import { gifFile, pdfDocument, pixelBombPng, textFile, zipArchive } from '../../../scripts/fixtures/hostile.ts';
import { isScreenResolution, namesEditingSoftware } from '../../../lambdas/quality/metadata.ts';

/** A minimal structurally valid JPEG: SOI, one COM segment, SOS, a few data bytes, EOI. */
function jpeg(comment = 'hello', trailer: Buffer = Buffer.alloc(0)): Buffer {
  const com = Buffer.from(comment, 'latin1');
  const head = Buffer.from([0xff, 0xfe, 0, 0]);
  head.writeUInt16BE(com.length + 2, 2);
  const sos = Buffer.from([0xff, 0xda, 0x00, 0x08, 1, 2, 3, 4, 5, 6]);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    head,
    com,
    sos,
    Buffer.from([0x12, 0xff, 0x00, 0x34]),
    Buffer.from([0xff, 0xd9]),
    trailer,
  ]);
}

describe('sniff', () => {
  it.each([
    ['jpeg', jpeg(), 'image/jpeg', undefined],
    ['png bomb header', pixelBombPng(60000, 1000), 'image/png', undefined],
    ['pdf', pdfDocument(), 'application/pdf', undefined],
    ['gif', gifFile(1000), undefined, 'UNSUPPORTED_FORMAT'],
    ['text', textFile(1000), undefined, 'UNSUPPORTED_FORMAT'],
    ['empty', Buffer.alloc(0), undefined, 'UNSUPPORTED_FORMAT'],
    ['jpeg + zip', jpeg('x', zipArchive()), 'image/jpeg', 'UNSUPPORTED_FORMAT'],
    ['jpeg + pdf', jpeg('x', pdfDocument()), 'image/jpeg', 'UNSUPPORTED_FORMAT'],
    ['jpeg with script comment', jpeg('<script>alert(1)</script>'), 'image/jpeg', 'UNSUPPORTED_FORMAT'],
    ['jpeg + 200 bytes junk', jpeg('x', Buffer.alloc(200, 7)), 'image/jpeg', 'UNSUPPORTED_FORMAT'],
    ['jpeg + zero padding', jpeg('x', Buffer.alloc(4000)), 'image/jpeg', undefined],
    ['truncated jpeg', jpeg().subarray(0, 14), 'image/jpeg', 'FILE_CORRUPT'],
    ['pdf with javascript', pdfDocument({ javascript: true }), 'application/pdf', 'UNSUPPORTED_FORMAT'],
    ['truncated pdf', pdfDocument().subarray(0, 300), 'application/pdf', 'FILE_CORRUPT'],
  ])('%s', (_name, bytes, type, problem) => {
    // Act
    const result = sniff(bytes);
    // Assess
    expect(result.type).toBe(type);
    expect(result.problem).toBe(problem);
  });

  it('reads PNG dimensions from the IHDR without decoding', () => {
    // Act
    const result = sniff(pixelBombPng(60000, 1000));
    // Assess
    expect([result.headerWidth, result.headerHeight]).toEqual([60000, 60000]);
  });
});

describe('metadata heuristics', () => {
  it.each([
    ['Adobe Photoshop 25.0 (Windows)', true],
    ['GIMP 2.10.36', true],
    ['Snapseed 2.0', true],
    ['HDR+ 1.0.5', false],
    ['iOS 17.1', false],
  ])('namesEditingSoftware(%s) = %s', (software, edited) => {
    expect(namesEditingSoftware(software)).toBe(edited);
  });

  it.each([
    [1170, 2532, true],
    [2532, 1170, true],
    [1920, 1080, true],
    [4000, 3000, false],
    [1600, 1200, false],
  ])('isScreenResolution(%d, %d) = %s', (width, height, screen) => {
    expect(isScreenResolution(width, height)).toBe(screen);
  });
});
