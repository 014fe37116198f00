/**
 * File-type sniffing and container structure checks for the quality gate (PRODUCT §2: the type
 * is decided by the bytes, never by the name or the declared content type).
 *
 * Walks the JPEG marker segments or PNG chunks without decoding pixels, so it costs microseconds
 * and works on hostile input. It reports:
 * - the sniffed type (`image/jpeg`, `image/png`, `application/pdf`) or none;
 * - fatal structure problems: `FILE_CORRUPT` (truncated or malformed container) and
 *   `UNSUPPORTED_FORMAT` for polyglots. A polyglot is a file that is a valid image AND carries a
 *   second payload (ZIP, PDF, HTML, script) in its metadata segments or after the end of the image
 *   (JPEG EOI / PNG IEND), and animated PNGs (APNG frames). We map it to `UNSUPPORTED_FORMAT` because the file as a whole is not
 *   a plain JPEG or PNG, which is the only thing the pipeline accepts; the user-facing tip
 *   ("upload a JPEG or PNG photo") is the right fix for honest users too. What phone cameras
 *   append after a JPEG is not a polyglot and is accepted (`secondaryItems`): further images and
 *   a video the image itself declares (an MPF index or a Google container directory: MPO files,
 *   Ultra HDR gain maps, motion photos), and Samsung's maker trailer, each checked for structure
 *   and all still scanned for payloads; only the first image is judged and decoded downstream;
 * - the header dimensions of PNG files (IHDR), and the metadata text (EXIF, XMP, comments, PNG
 *   text chunks) for the metadata checks.
 *
 * - compressed content opened within `INFLATE_BUDGET_BYTES` (`compressed.ts`): PNG `zTXt`,
 *   compressed `iTXt` and `iCCP` chunks, and PDF object streams, scanned like the plain bytes;
 *   more than the budget is a decompression bomb (`UNSUPPORTED_FORMAT`).
 */
import { crc32 } from 'node:zlib';
import { inflateWithin, pdfFilters, pdfObjectStreams, pngCompressedPart, unescapePdfNames } from './compressed.ts';
import type { ReasonCode } from '../domain/reason-codes.ts';

export type SniffedType = 'image/jpeg' | 'image/png' | 'application/pdf';

export interface SniffResult {
  /** Type decided by the magic bytes; undefined when none of the accepted formats matches. */
  readonly type?: SniffedType;
  /** First fatal structure problem, if any. */
  readonly problem?: ReasonCode;
  /** Short machine-readable explanation of `problem`, for logs and tests (no PII). */
  readonly detail?: string;
  /** Bytes after the end-of-image marker (JPEG EOI / PNG IEND). */
  readonly trailingBytes?: number;
  /**
   * JPEG only: what a camera appended after the image and the gate accepts (`image/jpeg` for an
   * MPF or Ultra HDR secondary image, `video/mp4` for a motion photo's video, `samsung-trailer`).
   */
  readonly secondaryItems?: readonly string[];
  /** Width and height from the PNG IHDR chunk (JPEG dimensions come from sharp's header read). */
  readonly headerWidth?: number;
  readonly headerHeight?: number;
  /** Concatenated metadata text (latin1) from EXIF/XMP/COM segments or PNG text chunks. */
  readonly metadataText?: string;
  /** PNG only: the IHDR fields the data-length check needs. */
  readonly pngHeader?: PngHeader;
}

/** The IHDR of a PNG (ISO/IEC 15948 section 11.2.2). */
export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly colourType: number;
  readonly interlace: number;
}

/** Bit depths allowed per colour type (ISO/IEC 15948 table 11.1). */
const PNG_BIT_DEPTHS: Readonly<Record<number, readonly number[]>> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

/**
 * Decompressed bytes the sniffer opens in one file (PNG compressed chunks, PDF object streams).
 * libpng's default cap for one ancillary chunk is 8 MB; object streams hold objects, not pages.
 */
export const INFLATE_BUDGET_BYTES = 16 * 1024 * 1024;

/** Bytes of trailing data after EOI/IEND tolerated without comment (some encoders pad). */
export const TRAILING_TOLERANCE_BYTES = 64;

const EOI = Buffer.from([0xff, 0xd9]);
/** Largest JPEG side libjpeg decodes (JPEG_MAX_DIMENSION). */
const JPEG_MAX_SIDE = 65_500;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Second-format signatures that make an image a polyglot when found in its metadata or trailer.
 * Case-insensitive ASCII; `PK\x03\x04` is the ZIP local file header (also JAR, DOCX, APK).
 */
/* eslint-disable no-control-regex -- binary signatures are control bytes by nature */
const PAYLOAD_SIGNATURES: readonly RegExp[] = [
  /PK\x03\x04/,
  /PK\x05\x06/,
  /%PDF-/,
  /<script/i,
  /<html/i,
  /<iframe/i,
  /<\?php/i,
  /javascript:/i,
  /<!doctype html/i,
  /Rar!\x1a\x07/,
  /7z\xbc\xaf\x27\x1c/,
  /MZ\x90\x00/,
  /\x7fELF/,
];
/* eslint-enable no-control-regex */

function findPayload(text: string): string | undefined {
  for (const signature of PAYLOAD_SIGNATURES) {
    if (signature.test(text)) return signature.source;
  }
  return undefined;
}

/** True when every byte is padding (0x00 or 0xFF): harmless filler some encoders write. */
function isPadding(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte !== 0x00 && byte !== 0xff) return false;
  return true;
}

function checkTrailer(
  bytes: Buffer,
  end: number,
  secondary?: (trailer: Buffer) => readonly string[] | undefined,
): { problem?: ReasonCode; detail?: string; trailingBytes: number; secondaryItems?: readonly string[] } {
  const trailer = bytes.subarray(end);
  if (trailer.length === 0) return { trailingBytes: 0 };
  const payload = findPayload(trailer.toString('latin1'));
  if (payload)
    return {
      problem: 'UNSUPPORTED_FORMAT',
      detail: `payload after end of image: ${payload}`,
      trailingBytes: trailer.length,
    };
  if (trailer.length > TRAILING_TOLERANCE_BYTES && !isPadding(trailer)) {
    const items = secondary?.(trailer);
    if (items) return { trailingBytes: trailer.length, secondaryItems: items };
    return {
      problem: 'UNSUPPORTED_FORMAT',
      detail: `${trailer.length} bytes after end of image`,
      trailingBytes: trailer.length,
    };
  }
  return { trailingBytes: trailer.length };
}

/** Secondary items after a camera JPEG's end of image, at most (a gain map, a video, a maker trailer). */
const MAX_SECONDARY_ITEMS = 4;

/**
 * True when a JPEG's metadata declares media appended after its end of image: a Multi-Picture
 * Format index (APP2 `MPF\0`, CIPA DC-007: MPO files, Ultra HDR gain maps) or a Google
 * container directory in its XMP (Ultra HDR v1.1, motion photos, older `MicroVideo` photos).
 */
function declaresSecondaryItems(metadata: readonly string[]): boolean {
  return metadata.some(
    (text) => text.startsWith('MPF\0') || /Container:Directory|GCamera:MotionPhoto|GCamera:MicroVideo/.test(text),
  );
}

/**
 * What a camera JPEG's trailer holds, when it is nothing but media its camera appends: further
 * complete JPEG images and one ISO BMFF video (MP4/MOV boxes to the end of the file), only when
 * the primary image declares them (`declaresSecondaryItems`), and a Samsung maker trailer
 * (data blocks indexed by a `SEFH` directory, ending in `SEFT`). Padding bytes between items are
 * allowed. Anything else, or more than MAX_SECONDARY_ITEMS items, is undefined (refused).
 */
function secondaryItems(trailer: Buffer, declared: boolean): string[] | undefined {
  const items: string[] = [];
  const samsung = samsungTrailerStart(trailer);
  let at = 0;
  while (at < trailer.length) {
    const byte = trailer[at];
    if (declared && byte === 0xff && trailer[at + 1] === 0xd8 && trailer[at + 2] === 0xff) {
      if (items.length >= MAX_SECONDARY_ITEMS) return undefined;
      const image = walkJpeg(trailer, at + 2);
      if ('problem' in image) return undefined;
      items.push('image/jpeg');
      at = image.end;
    } else if (declared && isoBoxesToEnd(trailer, at)) {
      items.push('video/mp4');
      break;
    } else if (at === samsung) {
      items.push('samsung-trailer');
      break;
    } else if (byte === 0x00 || byte === 0xff) {
      // Padding: an item may start inside the run only where it ends (a JPEG's FF D8, a box's
      // size before its `ftyp`) or where the Samsung blocks begin; skip the rest in one step.
      let runEnd = at + 1;
      while (runEnd < trailer.length && (trailer[runEnd] === 0x00 || trailer[runEnd] === 0xff)) runEnd += 1;
      const next = Math.max(at + 1, runEnd - 4);
      at = samsung !== undefined && samsung > at && samsung < next ? samsung : next;
    } else {
      return undefined;
    }
  }
  return items.length > 0 ? items : undefined;
}

/** True when `bytes` from `start` to the end are whole ISO BMFF boxes (ISO/IEC 14496-12), the first an `ftyp`. */
function isoBoxesToEnd(bytes: Buffer, start: number): boolean {
  // Cheap first: this runs at every padding byte of a trailer.
  if (bytes[start + 4] !== 0x66 || bytes.toString('latin1', start + 4, start + 8) !== 'ftyp') return false;
  let at = start;
  for (let boxes = 0; at < bytes.length; boxes += 1) {
    if (boxes > 100_000 || at + 8 > bytes.length) return false;
    const type = bytes.toString('latin1', at + 4, at + 8);
    if (!/^[a-zA-Z0-9 \xa9]{4}$/.test(type) || (boxes === 0 && type !== 'ftyp')) return false;
    let size = bytes.readUInt32BE(at);
    if (size === 0) return boxes > 0; // the last box runs to the end of the file
    if (size === 1) {
      if (at + 16 > bytes.length) return false;
      const large = bytes.readBigUInt64BE(at + 8);
      if (large > BigInt(bytes.length - at) || large < 16n) return false;
      size = Number(large);
    }
    if (size < 8 || at + size > bytes.length) return false;
    at += size;
  }
  return at === bytes.length;
}

/**
 * Where a Samsung camera trailer at the end of `bytes` begins, as exiftool reads one: the file
 * ends with `SEFT` after the little-endian length of a `SEFH` directory, whose entries (12 bytes
 * each, after a count) locate data blocks, counted back from the directory, that lie before it;
 * the trailer begins with the first block. Undefined when `bytes` does not end so.
 */
function samsungTrailerStart(bytes: Buffer): number | undefined {
  const end = bytes.length;
  if (end < 24 || bytes.toString('latin1', end - 4, end) !== 'SEFT') return undefined;
  const directoryLength = bytes.readUInt32LE(end - 8);
  const directory = end - 8 - directoryLength;
  if (directory < 0 || bytes.toString('latin1', directory, directory + 4) !== 'SEFH') return undefined;
  const count = bytes.readUInt32LE(directory + 8);
  if (count === 0 || count > 1000 || 12 + 12 * count > directoryLength) return undefined;
  let first = directory;
  for (let entry = 0; entry < count; entry += 1) {
    const at = directory + 12 + 12 * entry;
    const back = bytes.readUInt32LE(at + 4);
    const length = bytes.readUInt32LE(at + 8);
    const block = directory - back;
    if (back === 0 || block < 0 || block + length > directory) return undefined;
    first = Math.min(first, block);
  }
  return first;
}

/** Walks JPEG marker segments up to SOS, then scans the entropy-coded data for the EOI marker. */
function sniffJpeg(bytes: Buffer): SniffResult {
  const type = 'image/jpeg' as const;
  const image = walkJpeg(bytes, 2);
  if ('problem' in image) return { type, problem: image.problem, detail: image.detail };
  const declared = declaresSecondaryItems(image.metadata);
  const trailer = checkTrailer(bytes, image.end, (rest) => secondaryItems(rest, declared));
  return { type, ...trailer, metadataText: image.metadata.join('\n') };
}

/**
 * The marker segments of the JPEG image whose first marker is at `start` (after its SOI): its
 * metadata text and the offset after its EOI, or the first structure problem.
 */
function walkJpeg(
  bytes: Buffer,
  start: number,
): { end: number; metadata: string[] } | { problem: ReasonCode; detail: string } {
  const metadata: string[] = [];
  let offset = start;
  while (true) {
    // Markers may be preceded by any number of 0xFF fill bytes.
    while (offset < bytes.length && bytes[offset] === 0xff && bytes[offset + 1] === 0xff) offset += 1;
    if (offset + 4 > bytes.length) return { problem: 'FILE_CORRUPT', detail: 'truncated before image data' };
    if (bytes[offset] !== 0xff) return { problem: 'FILE_CORRUPT', detail: 'bad marker' };
    const marker = bytes[offset + 1] ?? 0;
    if (marker === 0xd9) return { problem: 'FILE_CORRUPT', detail: 'end of image before image data' };
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2;
      continue;
    }
    const length = bytes.readUInt16BE(offset + 2);
    if (length < 2 || offset + 2 + length > bytes.length) {
      return { problem: 'FILE_CORRUPT', detail: 'segment overruns file' };
    }
    const segment = bytes.subarray(offset + 4, offset + 2 + length);
    // Frame header (SOF0-SOF15 except DHT C4, JPG C8, DAC CC): height and width precede any decode.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (segment.length < 6) return { problem: 'FILE_CORRUPT', detail: 'frame header too short' };
      const height = segment.readUInt16BE(1);
      const width = segment.readUInt16BE(3);
      if (width === 0 || height === 0) return { problem: 'FILE_CORRUPT', detail: 'zero frame dimension' };
      // libjpeg refuses sides above 65500; such a header is a decompression-bomb declaration.
      if (Math.max(width, height) > JPEG_MAX_SIDE)
        return { problem: 'IMAGE_DIMENSIONS_INVALID', detail: `frame ${width}x${height}` };
    }
    // APPn (E0-EF) and COM (FE) carry metadata; keep their text for the metadata checks.
    if ((marker >= 0xe0 && marker <= 0xef) || marker === 0xfe) {
      const text = segment.toString('latin1');
      const payload = findPayload(text);
      if (payload) return { problem: 'UNSUPPORTED_FORMAT', detail: `payload in metadata: ${payload}` };
      metadata.push(text);
    }
    offset += 2 + length;
    if (marker === 0xda) break; // SOS: entropy-coded data follows
  }
  // Entropy-coded data: 0xFF is followed by 0x00 (stuffing), RSTn, or a marker. Progressive JPEGs
  // have several scans (more SOS/DHT segments) before EOI; only EOI ends the image.
  const eoi = bytes.indexOf(EOI, offset);
  if (eoi < 0) return { problem: 'FILE_CORRUPT', detail: 'no end-of-image marker (truncated)' };
  return { end: eoi + 2, metadata };
}

const PNG_TEXT_CHUNKS = new Set(['tEXt', 'iTXt', 'eXIf', 'zTXt']);

/** Walks PNG chunks from the IHDR to IEND. */
function sniffPng(bytes: Buffer): SniffResult {
  const type = 'image/png' as const;
  if (bytes.length < 33) return { type, problem: 'FILE_CORRUPT', detail: 'truncated header' };
  if (bytes.toString('latin1', 12, 16) !== 'IHDR') return { type, problem: 'FILE_CORRUPT', detail: 'IHDR missing' };
  const headerWidth = bytes.readUInt32BE(16);
  const headerHeight = bytes.readUInt32BE(20);
  const pngHeader: PngHeader = {
    width: headerWidth,
    height: headerHeight,
    bitDepth: bytes[24] as number,
    colourType: bytes[25] as number,
    interlace: bytes[28] as number,
  };
  const corrupt = (detail: string): SniffResult => ({
    type,
    headerWidth,
    headerHeight,
    problem: 'FILE_CORRUPT',
    detail,
  });
  if (bytes.readUInt32BE(8) !== 13) return corrupt('IHDR length');
  if (headerWidth === 0 || headerHeight === 0 || headerWidth > 0x7fffffff || headerHeight > 0x7fffffff)
    return corrupt('IHDR dimensions');
  if (!PNG_BIT_DEPTHS[pngHeader.colourType]?.includes(pngHeader.bitDepth))
    return corrupt('IHDR colour type / bit depth');
  if (bytes[26] !== 0 || bytes[27] !== 0 || pngHeader.interlace > 1) return corrupt('IHDR method fields');
  const metadata: string[] = [];
  let budget = INFLATE_BUDGET_BYTES;
  let offset = 8;
  let sawData = false;
  let dataEnded = false;
  while (offset + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const chunkType = bytes.toString('latin1', offset + 4, offset + 8);
    if (!/^[A-Za-z]{4}$/.test(chunkType))
      return { type, headerWidth, headerHeight, problem: 'FILE_CORRUPT', detail: 'bad chunk type' };
    const end = offset + 12 + length;
    if (end > bytes.length) {
      return { type, headerWidth, headerHeight, problem: 'FILE_CORRUPT', detail: 'chunk overruns file (truncated)' };
    }
    // Every chunk carries a CRC-32 of its type and data; a mismatch is damage (or tampering).
    if (crc32(bytes.subarray(offset + 4, offset + 8 + length)) !== bytes.readUInt32BE(offset + 8 + length))
      return corrupt(`${chunkType} CRC mismatch`);
    // Animated PNG (APNG): the frames after the default image are what browsers show, so a
    // reviewer could see other pixels than the checks judged. One still image only.
    if (chunkType === 'acTL' || chunkType === 'fcTL' || chunkType === 'fdAT')
      return { type, headerWidth, headerHeight, problem: 'UNSUPPORTED_FORMAT', detail: `animated PNG (${chunkType})` };
    if (chunkType === 'IDAT') {
      // The image data chunks must be consecutive (ISO/IEC 15948 section 5.6).
      if (dataEnded) return corrupt('IDAT chunks not consecutive');
      sawData = true;
    } else if (sawData) dataEnded = true;
    if (PNG_TEXT_CHUNKS.has(chunkType) || (chunkType[0] ?? 'A') >= 'a') {
      // Ancillary chunks (lower-case first letter) are where a second payload hides; compressed
      // ones (zTXt, iTXt with its flag set, iCCP) are opened first, within the budget.
      const data = bytes.subarray(offset + 8, offset + 8 + length);
      const compressed = pngCompressedPart(chunkType, data);
      let text = data.toString('latin1');
      if (compressed) {
        const inflated = inflateWithin(compressed, budget);
        if ('failure' in inflated)
          return inflated.failure === 'too-large'
            ? {
                type,
                headerWidth,
                headerHeight,
                problem: 'UNSUPPORTED_FORMAT',
                detail: `${chunkType} inflates past the budget (decompression bomb)`,
              }
            : corrupt(`${chunkType} data does not inflate`);
        budget -= inflated.bytes.length;
        text = `${data.toString('latin1', 0, data.length - compressed.length)}${inflated.bytes.toString('latin1')}`;
      }
      if (chunkType !== 'iCCP') {
        const payload = findPayload(text);
        if (payload)
          return {
            type,
            headerWidth,
            headerHeight,
            problem: 'UNSUPPORTED_FORMAT',
            detail: `payload in ${chunkType}: ${payload}`,
          };
      }
      if (PNG_TEXT_CHUNKS.has(chunkType)) metadata.push(text);
    }
    offset = end;
    if (chunkType === 'IEND') {
      if (!sawData) return corrupt('no IDAT chunk');
      const trailer = checkTrailer(bytes, offset);
      return { type, headerWidth, headerHeight, ...trailer, metadataText: metadata.join('\n'), pngHeader };
    }
  }
  return { type, headerWidth, headerHeight, problem: 'FILE_CORRUPT', detail: 'no IEND chunk (truncated)' };
}

/**
 * PDF actions that run code, open or import other files, or send data out (`SubmitForm`); any
 * of them refuses the document. Links (`/URI`) are allowed: bills carry their issuer's website.
 */
const PDF_ACTIVE_CONTENT =
  /\/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA|GoToR|GoToE|ImportData|SubmitForm)(?![A-Za-z])/;

/**
 * Basic PDF structure check: header, `%%EOF` near the end, no active content in the plain text
 * nor in the object streams (opened within `INFLATE_BUDGET_BYTES`). An object stream that cannot
 * be opened (encrypted, or under a filter other than FlateDecode, or with a predictor) refuses
 * the document: what it holds cannot be checked.
 */
function sniffPdf(bytes: Buffer): SniffResult {
  const type = 'application/pdf' as const;
  const refuse = (detail: string): SniffResult => ({ type, problem: 'UNSUPPORTED_FORMAT', detail });
  const tail = bytes.toString('latin1', Math.max(0, bytes.length - 1024));
  if (!tail.includes('%%EOF')) return { type, problem: 'FILE_CORRUPT', detail: 'no %%EOF (truncated)' };
  const raw = bytes.toString('latin1');
  const text = unescapePdfNames(raw);
  const active = PDF_ACTIVE_CONTENT.exec(text);
  if (active) return refuse(`active content ${active[0]}`);
  const streams = pdfObjectStreams(bytes, raw);
  if (streams.length > 0 && /\/Encrypt(?![A-Za-z])/.test(text)) return refuse('encrypted object streams');
  let budget = INFLATE_BUDGET_BYTES;
  for (const stream of streams) {
    const filters = pdfFilters(stream.dictionary);
    if (filters.some((filter) => filter !== 'FlateDecode' && filter !== 'Fl') || filters.length > 1)
      return refuse(`object stream under ${filters.join('+')}`);
    if (/\/Predictor\s+([2-9]|\d\d)/.test(stream.dictionary)) return refuse('object stream with a predictor');
    let objects = stream.data;
    if (filters.length === 1) {
      const inflated = inflateWithin(stream.data, budget);
      if ('failure' in inflated)
        return inflated.failure === 'too-large'
          ? refuse('object streams inflate past the budget (decompression bomb)')
          : { type, problem: 'FILE_CORRUPT', detail: 'object stream does not inflate' };
      budget -= inflated.bytes.length;
      objects = inflated.bytes;
    }
    const hidden = PDF_ACTIVE_CONTENT.exec(unescapePdfNames(objects.toString('latin1')));
    if (hidden) return refuse(`active content ${hidden[0]} in an object stream`);
  }
  return { type, trailingBytes: 0 };
}

/**
 * Decides the type of `bytes` from the magic numbers and checks the container structure.
 *
 * @example
 * ```ts
 * sniff(readFileSync('passport.jpg')); // { type: 'image/jpeg', trailingBytes: 0, metadataText: '...' }
 * sniff(Buffer.from('GIF89a...'));     // { problem: 'UNSUPPORTED_FORMAT', detail: 'unknown magic bytes' }
 * ```
 */
export function sniff(bytes: Buffer): SniffResult {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return sniffJpeg(bytes);
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return sniffPng(bytes);
  if (bytes.length >= 5 && bytes.toString('latin1', 0, 5) === '%PDF-') return sniffPdf(bytes);
  return { problem: 'UNSUPPORTED_FORMAT', detail: 'unknown magic bytes' };
}
