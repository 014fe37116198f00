import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { checkPngData, expectedPngDataLength } from '../../../lambdas/quality/png-data.ts';
import { sniff } from '../../../lambdas/quality/sniff.ts';
import {
  gifFile,
  pdfDocument,
  pixelBombPng,
  pngChunk,
  pngChunks,
  pngLyingIhdr,
  pngTruncatedIdat,
  pngWithBadCrc,
  textFile,
  tinyPng,
  zipArchive,
} from '../../../scripts/fixtures/hostile.ts';
import { inspectMetadata, isScreenResolution, namesEditingSoftware } from '../../../lambdas/quality/metadata.ts';

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

  /** A uniform image of `width` x `height` in `format`, with no metadata (as a canvas encodes it). */
  const plain = (width: number, height: number, format: 'jpeg' | 'png'): Promise<Buffer> =>
    sharp({ create: { width, height, channels: 3, background: '#8a8078' } })
      .toFormat(format)
      .toBuffer();

  it.each([
    ['a webcam frame (JPEG 1280 x 720)', 1280, 720, 'jpeg', [], true],
    ['a webcam frame (PNG 1920 x 1080)', 1920, 1080, 'png', [], true],
    ['a phone camera held upright (JPEG 1080 x 1920)', 1080, 1920, 'jpeg', [], true],
    ['a 4K video frame (JPEG 3840 x 2160)', 3840, 2160, 'jpeg', [], true],
    ['a laptop screenshot (PNG 2880 x 1800)', 2880, 1800, 'png', ['SCREENSHOT_DETECTED'], false],
    ['a phone screenshot (PNG 1170 x 2532)', 1170, 2532, 'png', ['SCREENSHOT_DETECTED'], false],
    ['a phone screenshot saved as JPEG (1080 x 2340)', 1080, 2340, 'jpeg', ['SCREENSHOT_DETECTED'], false],
    ['a tablet screenshot saved as JPEG (2732 x 2048)', 2732, 2048, 'jpeg', ['SCREENSHOT_DETECTED'], false],
    ['a 3 MP camera still (JPEG 2048 x 1536)', 2048, 1536, 'jpeg', [], true],
    ['a camera photo (JPEG 4000 x 3000)', 4000, 3000, 'jpeg', [], false],
  ] as const)(
    'reads %s without camera metadata: %j, left to the pixels: %s',
    async (_name, width, height, format, reasons, ambiguous) => {
      // Prepare
      const file = await plain(width, height, format);
      // Act
      const findings = await inspectMetadata(file, { width, height });
      // Assess
      expect(findings.reasons).toEqual(reasons);
      expect(findings.hasCamera).toBe(false);
      expect(findings.screenOrCameraFrame).toBe(ambiguous);
    },
  );

  it('keeps an explicit screenshot marker whatever the size and format', async () => {
    // Prepare: a 1920 x 1080 JPEG whose EXIF says it is a screenshot (as iOS and macOS write it)
    const file = await sharp({ create: { width: 1920, height: 1080, channels: 3, background: '#8a8078' } })
      .withExif({ IFD0: { ImageDescription: 'Screenshot' } })
      .jpeg()
      .toBuffer();
    // Act
    const findings = await inspectMetadata(file, { width: 1920, height: 1080 });
    // Assess
    expect(findings.reasons).toEqual(['SCREENSHOT_DETECTED']);
  });
});

describe('sniff on damaged PNG structure', () => {
  // A 4x2 RGB PNG built by hand (valid CRCs) as the base of each damage.
  const png = (): Buffer => tinyPng();
  const withHeaderByte = (index: number, value: number): Buffer => {
    const chunks = pngChunks(png());
    const header = Buffer.from((chunks[0] as { data: Buffer }).data);
    header[index] = value;
    return Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      ...chunks.map((c, i) => pngChunk(c.type, i === 0 ? header : c.data)),
    ]);
  };

  it.each([
    ['intact', png(), undefined],
    ['bad IDAT CRC', pngWithBadCrc(png()), 'FILE_CORRUPT'],
    ['bit depth 7', withHeaderByte(8, 7), 'FILE_CORRUPT'],
    ['colour type 5', withHeaderByte(9, 5), 'FILE_CORRUPT'],
    ['interlace method 2', withHeaderByte(12, 2), 'FILE_CORRUPT'],
    ['zero width', withHeaderByte(3, 0), 'FILE_CORRUPT'],
  ])('%s', (_name, bytes, problem) => {
    // Act
    const result = sniff(bytes);
    // Assess
    expect(result.type).toBe('image/png');
    expect(result.problem).toBe(problem);
  });

  it.each([
    ['intact', png(), undefined],
    ['truncated stream', pngTruncatedIdat(png(), 0.5), 'damaged or truncated zlib stream'],
    ['IHDR claims fewer rows', pngLyingIhdr(png(), 4, 1), 'data longer than IHDR'],
    ['IHDR claims more rows', pngLyingIhdr(png(), 4, 3), 'data shorter than IHDR'],
    ['IHDR claims wider rows', pngLyingIhdr(png(), 5, 2), 'data shorter than IHDR'],
  ])('image data against the IHDR: %s', async (_name, bytes, problem) => {
    // Prepare
    const header = sniff(bytes).pngHeader;
    // Act
    const found = header ? await checkPngData(bytes, header) : 'no header';
    // Assess
    expect(found).toBe(problem);
  });

  it('counts Adam7 passes for interlaced images', () => {
    // Act + Assess: 8x8 RGB, passes of 1x1, 1x1, 2x1, 2x2, 4x2, 4x4, 8x4 pixels.
    expect(expectedPngDataLength({ width: 8, height: 8, bitDepth: 8, colourType: 2, interlace: 1 })).toBe(
      1 * (1 + 3) + 1 * (1 + 3) + 1 * (1 + 6) + 2 * (1 + 6) + 2 * (1 + 12) + 4 * (1 + 12) + 4 * (1 + 24),
    );
  });
});
