/**
 * PNG image-data check for the quality gate: the zlib stream in the IDAT chunks must inflate to
 * exactly the number of bytes the IHDR announces (filter byte + packed pixels per row, per
 * Adam7 pass when interlaced). Decoders forgive a header that claims FEWER pixels than the data
 * holds (they stop reading), so an IHDR that lies that way, or a stream cut short, is only seen
 * here. Streams the inflate and counts, so memory stays bounded whatever the header claims.
 */
import { createInflate } from 'node:zlib';
import type { PngHeader } from './sniff.ts';

const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Adam7 passes: x start, y start, x step, y step. */
const ADAM7: readonly (readonly [number, number, number, number])[] = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/**
 * Bytes the IHDR says the inflated image data holds.
 *
 * @example
 * ```ts
 * expectedPngDataLength({ width: 2, height: 2, bitDepth: 8, colourType: 2, interlace: 0 }); // 14
 * ```
 */
export function expectedPngDataLength(header: PngHeader): number {
  const bitsPerPixel = (CHANNELS[header.colourType] ?? 1) * header.bitDepth;
  const rowBytes = (width: number): number => Math.ceil((width * bitsPerPixel) / 8);
  if (header.interlace === 0) return header.height * (1 + rowBytes(header.width));
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const width = Math.ceil((header.width - x0) / dx);
    const height = Math.ceil((header.height - y0) / dy);
    if (width > 0 && height > 0) total += height * (1 + rowBytes(width));
  }
  return total;
}

/** The concatenated payload of the IDAT chunks (chunk structure already checked by `sniff`). */
function idatChunks(bytes: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  let offset = 8;
  while (offset + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    if (type === 'IDAT') chunks.push(bytes.subarray(offset + 8, offset + 8 + length));
    if (type === 'IEND') break;
    offset += 12 + length;
  }
  return chunks;
}

/**
 * Resolves to a short reason when the image data does not match the header (truncated or
 * damaged zlib stream, more or fewer bytes than announced), or undefined when it matches.
 *
 * @example
 * ```ts
 * const problem = await checkPngData(bytes, sniffed.pngHeader); // 'data shorter than IHDR'
 * ```
 */
export function checkPngData(bytes: Buffer, header: PngHeader): Promise<string | undefined> {
  const expected = expectedPngDataLength(header);
  return new Promise((resolve) => {
    const inflate = createInflate();
    let seen = 0;
    let settled = false;
    const finish = (problem: string | undefined): void => {
      if (settled) return;
      settled = true;
      inflate.destroy();
      resolve(problem);
    };
    inflate.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > expected) finish('data longer than IHDR');
    });
    inflate.on('error', () => finish('damaged or truncated zlib stream'));
    inflate.on('end', () => finish(seen < expected ? 'data shorter than IHDR' : undefined));
    for (const chunk of idatChunks(bytes)) inflate.write(chunk);
    inflate.end();
  });
}
