import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  inflateWithin,
  pdfFilters,
  pdfObjectStreams,
  pngCompressedPart,
  unescapePdfNames,
} from '../../../lambdas/quality/compressed.ts';
import { inspectMetadata } from '../../../lambdas/quality/metadata.ts';
import { INFLATE_BUDGET_BYTES, sniff } from '../../../lambdas/quality/sniff.ts';
import { pdfDocument, pngChunk, tinyPng } from '../../../scripts/fixtures/hostile.ts';

const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

const png = tinyPng;

/** A PDF whose body holds `objects` (objects 5 and up) and whose trailer adds `trailer`. */
function pdfWith(objects: readonly (string | Buffer)[], trailer = ''): Buffer {
  const parts = objects.map((object, index) =>
    Buffer.concat([
      latin1(`${index + 5} 0 obj\n`),
      typeof object === 'string' ? latin1(object) : object,
      latin1('\nendobj\n'),
    ]),
  );
  return Buffer.concat([
    latin1('%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n'),
    ...parts,
    latin1(`trailer\n<< /Root 1 0 R ${trailer} >>\n%%EOF\n`),
  ]);
}

/** An object stream's object: `dictionary` entries, then `data` as its stream. */
function objectStream(data: Buffer, dictionary = '/Filter /FlateDecode'): Buffer {
  return Buffer.concat([
    latin1(`<< /Type /ObjStm /N 1 /First 4 ${dictionary} /Length ${data.length} >>\nstream\n`),
    data,
    latin1('\nendstream'),
  ]);
}

const javascriptAction = latin1('7 0 << /S /JavaScript /JS (app.alert(1)) >>');
const plainObjects = latin1('7 0 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');

describe('inflateWithin', () => {
  it('inflates a stream within its limit', () => {
    // Act
    const result = inflateWithin(deflateSync(latin1('hello')), 16);
    // Assess
    expect(result).toEqual({ bytes: latin1('hello') });
  });

  it('stops at the limit: a bomb is too large, not inflated', () => {
    // Act + Assess
    expect(inflateWithin(deflateSync(Buffer.alloc(64 * 1024 * 1024)), 1024 * 1024)).toEqual({ failure: 'too-large' });
    expect(inflateWithin(deflateSync(latin1('x')), 0)).toEqual({ failure: 'too-large' });
  });

  it('calls data that is not zlib damaged, and yields what a stream cut short holds', () => {
    // Prepare
    const whole = deflateSync(latin1('a'.repeat(1000) + 'b'.repeat(1000)), { level: 0 });
    // Act
    const garbage = inflateWithin(latin1('not a zlib stream'), 1024);
    const cut = inflateWithin(whole.subarray(0, 600), 4096);
    // Assess
    expect(garbage).toMatchObject({ failure: 'damaged' });
    expect('bytes' in cut && cut.bytes.toString('latin1')).toMatch(/^a+$/);
  });
});

describe('pngCompressedPart', () => {
  it.each([
    ['zTXt', latin1('Comment\0\0ZZZ'), 'ZZZ'],
    ['iCCP', latin1('sRGB\0\0ZZZ'), 'ZZZ'],
    ['iTXt', latin1('XML:com.adobe.xmp\0\x01\0en\0Title\0ZZZ'), 'ZZZ'],
    ['iTXt', latin1('Comment\0\0\0en\0\0plain'), undefined],
    ['tEXt', latin1('Comment\0plain'), undefined],
    ['zTXt', latin1('no keyword end'), undefined],
  ])('%s %j', (chunkType, data, part) => {
    // Act + Assess
    expect(pngCompressedPart(chunkType, data)?.toString('latin1')).toBe(part);
  });
});

describe('PDF object streams', () => {
  it('finds each object stream with its data, by the direct /Length or else the next endstream', () => {
    // Prepare
    const data = deflateSync(javascriptAction);
    const bytes = pdfWith([
      objectStream(data),
      Buffer.concat([
        latin1('<< /Type /ObjStm /Length 9 0 R /Filter /FlateDecode >>\nstream\r\n'),
        data,
        latin1('\r\nendstream'),
      ]),
      '<< /Length 4 >>\nstream\nBT ET\nendstream',
    ]);
    // Act
    const streams = pdfObjectStreams(bytes);
    // Assess
    expect(streams).toHaveLength(2);
    expect(streams[0]?.data.equals(data)).toBe(true);
    expect(streams[1]?.data.subarray(0, data.length).equals(data)).toBe(true);
  });

  it('sees a type written with escaped letters', () => {
    // Act
    const streams = pdfObjectStreams(pdfWith([latin1('<< /Type /Obj#53tm /Length 3 >>\nstream\nabc\nendstream')]));
    // Assess
    expect(streams.map((stream) => stream.data.toString('latin1'))).toEqual(['abc']);
  });

  it.each([
    ['<< /Filter /FlateDecode >>', ['FlateDecode']],
    ['<< /Filter[/ASCII85Decode /FlateDecode] >>', ['ASCII85Decode', 'FlateDecode']],
    ['<< /Length 3 >>', []],
  ])('pdfFilters(%s)', (dictionary, filters) => {
    expect(pdfFilters(dictionary)).toEqual(filters);
  });

  it('unescapes names as a reader does', () => {
    expect(unescapePdfNames('/J#61vaScript /J#53')).toBe('/JavaScript /JS');
  });
});

describe('sniff opens compressed content', () => {
  const html = '<html><script>alert(1)</script></html>';

  it.each([
    [
      'zTXt holding HTML',
      png(pngChunk('zTXt', Buffer.concat([latin1('Comment\0\0'), deflateSync(html)]))),
      'UNSUPPORTED_FORMAT',
      /payload in zTXt/,
    ],
    [
      'compressed iTXt holding a script',
      png(pngChunk('iTXt', Buffer.concat([latin1('Description\0\x01\0en\0\0'), deflateSync(html)]))),
      'UNSUPPORTED_FORMAT',
      /payload in iTXt/,
    ],
    [
      'zTXt bomb',
      png(
        pngChunk('zTXt', Buffer.concat([latin1('Comment\0\0'), deflateSync(Buffer.alloc(INFLATE_BUDGET_BYTES + 1))])),
      ),
      'UNSUPPORTED_FORMAT',
      /decompression bomb/,
    ],
    [
      'iCCP bomb',
      png(pngChunk('iCCP', Buffer.concat([latin1('icc\0\0'), deflateSync(Buffer.alloc(INFLATE_BUDGET_BYTES + 1))]))),
      'UNSUPPORTED_FORMAT',
      /iCCP inflates past/,
    ],
    [
      'two zTXt chunks over the budget together',
      png(
        ...[1, 2].map(() =>
          pngChunk(
            'zTXt',
            Buffer.concat([latin1('Comment\0\0'), deflateSync(Buffer.alloc(INFLATE_BUDGET_BYTES / 2 + 1))]),
          ),
        ),
      ),
      'UNSUPPORTED_FORMAT',
      /decompression bomb/,
    ],
    [
      'zTXt that does not inflate',
      png(pngChunk('zTXt', latin1('Comment\0\0garbage'))),
      'FILE_CORRUPT',
      /zTXt data does not inflate/,
    ],
    [
      'iCCP holding a profile',
      png(pngChunk('iCCP', Buffer.concat([latin1('icc\0\0'), deflateSync(Buffer.alloc(3000, 7))]))),
      undefined,
      undefined,
    ],
  ])('PNG: %s', (_name, bytes, problem, detail) => {
    // Act
    const result = sniff(bytes);
    // Assess
    expect(result.problem).toBe(problem);
    if (detail) expect(result.detail).toMatch(detail);
  });

  it('keeps compressed PNG text for the metadata checks: editing software named there is found', async () => {
    // Prepare
    const bytes = png(pngChunk('zTXt', Buffer.concat([latin1('Software\0\0'), deflateSync('Adobe Photoshop 25.0')])));
    // Act
    const result = sniff(bytes);
    // Assess
    expect(result.problem).toBeUndefined();
    expect(result.metadataText).toContain('Software\0\0Adobe Photoshop 25.0');
    expect((await inspectMetadata(bytes, { metadataText: result.metadataText })).reasons).toEqual(['IMAGE_EDITED']);
  });

  it.each([
    [
      'JavaScript in an object stream',
      pdfWith([objectStream(deflateSync(javascriptAction))]),
      'UNSUPPORTED_FORMAT',
      /JavaScript in an object stream/,
    ],
    [
      'a launch action in an uncompressed object stream (found by the plain search)',
      pdfWith([objectStream(latin1('7 0 << /S /Launch /F (cmd.exe) >>'), '')]),
      'UNSUPPORTED_FORMAT',
      /active content \/Launch$/,
    ],
    [
      'an escaped /JS in an object stream',
      pdfWith([objectStream(deflateSync(latin1('7 0 << /J#53 (x) >>')))]),
      'UNSUPPORTED_FORMAT',
      /JS/,
    ],
    [
      'an object stream under ASCII85 then Flate',
      pdfWith([objectStream(latin1('GhVa~>'), '/Filter [/ASCII85Decode /FlateDecode]')]),
      'UNSUPPORTED_FORMAT',
      /under ASCII85Decode\+FlateDecode/,
    ],
    [
      'an object stream with a predictor',
      pdfWith([
        objectStream(deflateSync(plainObjects), '/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 5 >>'),
      ]),
      'UNSUPPORTED_FORMAT',
      /predictor/,
    ],
    [
      'an encrypted file with object streams',
      pdfWith([objectStream(deflateSync(plainObjects))], '/Encrypt 9 0 R'),
      'UNSUPPORTED_FORMAT',
      /encrypted/,
    ],
    [
      'object streams inflating past the budget',
      pdfWith([objectStream(deflateSync(Buffer.alloc(INFLATE_BUDGET_BYTES + 1)))]),
      'UNSUPPORTED_FORMAT',
      /decompression bomb/,
    ],
    [
      'an object stream that does not inflate',
      pdfWith([objectStream(latin1('garbage'))]),
      'FILE_CORRUPT',
      /does not inflate/,
    ],
    [
      'a form submission',
      pdfWith(['<< /S /SubmitForm /F (https://evil.example/) >>']),
      'UNSUPPORTED_FORMAT',
      /SubmitForm/,
    ],
    ['a link to another PDF', pdfWith(['<< /S /GoToR /F (other.pdf) /D [0 /Fit] >>']), 'UNSUPPORTED_FORMAT', /GoToR/],
    ['plain objects in an object stream', pdfWith([objectStream(deflateSync(plainObjects))]), undefined, undefined],
    ['a link to a web page', pdfWith(['<< /S /URI /URI (https://utility.example/) >>']), undefined, undefined],
    [
      'an encrypted file without object streams',
      pdfWith(['<< /Filter /Standard /V 2 /R 3 >>'], '/Encrypt 5 0 R'),
      undefined,
      undefined,
    ],
    ['the fixture bill', pdfDocument(), undefined, undefined],
  ])('PDF: %s', (_name, bytes, problem, detail) => {
    // Act
    const result = sniff(bytes);
    // Assess
    expect(result.type).toBe('application/pdf');
    expect(result.problem).toBe(problem);
    if (detail) expect(result.detail).toMatch(detail);
  });
});
