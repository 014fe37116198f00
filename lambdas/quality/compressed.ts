/**
 * Compressed content inside an upload's container, opened for the sniffer (`sniff.ts`) within a
 * budget: PNG text and ICC chunks (`zTXt`, compressed `iTXt`, `iCCP`) and PDF object streams,
 * where a payload or an action would otherwise hide from a byte search, and where a small
 * compressed chunk can stand for gigabytes (a decompression bomb aimed at the decoder or the
 * reviewer's viewer).
 *
 * Only zlib/deflate (`FlateDecode` in PDF) is opened: it is the only compression PNG defines and
 * what every current PDF writer uses for object streams. An object stream under any other filter
 * (or a predictor) cannot be inspected here, so the sniffer refuses it rather than trust it.
 */
import { constants, inflateSync } from 'node:zlib';

/** The result of inflating within a budget: the bytes, or why not. */
export type Inflated =
  | { readonly bytes: Buffer }
  | { readonly failure: 'too-large' }
  | { readonly failure: 'damaged'; readonly detail: string };

/**
 * `data` (a zlib stream) inflated, unless it would exceed `limit` bytes or is damaged. A stream
 * cut short yields what it holds (as decoders read it).
 *
 * @example
 * ```ts
 * const inflated = inflateWithin(deflateSync(Buffer.alloc(10)), 1024); // { bytes: <10 zero bytes> }
 * inflateWithin(deflateSync(Buffer.alloc(1e9)), 1024);                 // { failure: 'too-large' }
 * ```
 */
export function inflateWithin(data: Buffer, limit: number): Inflated {
  if (limit <= 0) return { failure: 'too-large' };
  try {
    return { bytes: inflateSync(data, { maxOutputLength: limit, finishFlush: constants.Z_SYNC_FLUSH }) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return { failure: 'too-large' };
    return { failure: 'damaged', detail: (error as Error).message };
  }
}

/** Where a PNG chunk's compressed part starts, for the chunk types that carry one. */
export function pngCompressedPart(chunkType: string, data: Buffer): Buffer | undefined {
  const keywordEnd = data.indexOf(0);
  if (keywordEnd < 0) return undefined;
  // zTXt and iCCP: keyword, NUL, compression method (0 = zlib), compressed data.
  if (chunkType === 'zTXt' || chunkType === 'iCCP') return data.subarray(keywordEnd + 2);
  if (chunkType !== 'iTXt' || data[keywordEnd + 1] !== 1) return undefined;
  // iTXt: keyword, NUL, compression flag, method, language tag, NUL, translated keyword, NUL, text.
  const languageEnd = data.indexOf(0, keywordEnd + 3);
  const translatedEnd = languageEnd < 0 ? -1 : data.indexOf(0, languageEnd + 1);
  return translatedEnd < 0 ? undefined : data.subarray(translatedEnd + 1);
}

/** One object stream of a PDF: its dictionary (names unescaped) and raw data. */
export interface PdfObjectStream {
  readonly dictionary: string;
  readonly data: Buffer;
}

/** PDF names may hex-escape any character (`/J#61vaScript`): the name as a reader sees it. */
export function unescapePdfNames(text: string): string {
  return text.replace(/#([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * The object streams (`/Type /ObjStm`, PDF 1.5+) of a PDF, found by their `stream` keyword and
 * the dictionary between it and the object's header; the data runs for the dictionary's direct
 * `/Length` when `endstream` follows it, else up to the next `endstream`.
 */
export function pdfObjectStreams(bytes: Buffer, text = bytes.toString('latin1')): PdfObjectStream[] {
  const headers = [...text.matchAll(/\d+\s+\d+\s+obj\b/g)].map((match) => (match.index ?? 0) + match[0].length);
  const streams: PdfObjectStream[] = [];
  let header = -1;
  for (const keyword of text.matchAll(/\bstream(?:\r\n|\n|\r)/g)) {
    const at = keyword.index ?? 0;
    while (header + 1 < headers.length && (headers[header + 1] ?? Infinity) <= at) header += 1;
    const dictionaryStart = headers[header];
    if (dictionaryStart === undefined) continue;
    const dictionary = unescapePdfNames(text.slice(dictionaryStart, at));
    if (!/\/Type\s*\/ObjStm(?![A-Za-z0-9])/.test(dictionary)) continue;
    const start = at + keyword[0].length;
    const length = /\/Length\s+(\d+)(?!\s+\d+\s+R)/.exec(dictionary)?.[1];
    const declaredEnd = length === undefined ? -1 : start + Number(length);
    const end =
      declaredEnd >= start && /^\s*endstream/.test(text.slice(declaredEnd, declaredEnd + 20))
        ? declaredEnd
        : text.indexOf('endstream', start);
    streams.push({ dictionary, data: bytes.subarray(start, end < 0 ? bytes.length : end) });
  }
  return streams;
}

/** The filter names of a stream dictionary, in the order they apply (`/Filter /A` or `[/A /B]`). */
export function pdfFilters(dictionary: string): string[] {
  const value = /\/Filter\s*(\[[^\]]*\]|\/[^\s/[\]<>()]+)/.exec(dictionary)?.[1] ?? '';
  return [...value.matchAll(/\/([^\s/[\]<>()]+)/g)].map((match) => match[1] ?? '');
}
