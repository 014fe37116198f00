/**
 * The local Rekognition's grey copies for face quality, remembered by content: one upload is
 * asked about several times per case, each decode costs about 40 ms of CPU.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { GreyImageMemory } from '../../../local/aws/rekognition/face-details.ts';

async function photo(seed: number): Promise<Buffer> {
  return sharp({ create: { width: 1600, height: 1200, channels: 3, background: { r: seed, g: 90, b: 160 } } })
    .jpeg()
    .toBuffer();
}

describe('GreyImageMemory', () => {
  it('decodes an image once however often it is asked, and tells equal content apart from equal size', async () => {
    // Prepare
    const memory = new GreyImageMemory(4);
    const [first, second] = [await photo(10), await photo(200)];

    // Act
    const [a, b] = await Promise.all([memory.of(first), memory.of(Buffer.from(first))]);
    const again = await memory.of(first);
    const other = await memory.of(second);

    // Assess
    expect(a).toBeDefined();
    expect(b).toBe(a);
    expect(again).toBe(a);
    expect(other).not.toBe(a);
    expect(other!.pixels[0]).not.toBe(a!.pixels[0]);
    expect(memory.size).toBe(2);
    expect({ width: a!.width, height: a!.height }).toEqual({ width: 1024, height: 768 });
  });

  it('keeps at most its capacity, dropping the least recently used', async () => {
    // Prepare
    const memory = new GreyImageMemory(2);
    const images = [await photo(1), await photo(2), await photo(3)];
    const first = await memory.of(images[0]!);
    await memory.of(images[1]!);

    // Act: the first is used again, so the second is the one dropped for the third
    expect(await memory.of(images[0]!)).toBe(first);
    await memory.of(images[2]!);

    // Assess
    expect(memory.size).toBe(2);
    expect(await memory.of(images[0]!)).toBe(first);
  });

  it('remembers an undecodable image as having no grey copy, without throwing', async () => {
    // Prepare
    const memory = new GreyImageMemory(2);

    // Act
    const grey = await memory.of(Buffer.from('not an image'));

    // Assess
    expect(grey).toBeUndefined();
    expect(memory.size).toBe(1);
  });
});
