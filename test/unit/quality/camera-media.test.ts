// What phone cameras append after a JPEG's end of image: accepted when it is declared media
// (MPF / Ultra HDR images, a motion photo's video) or a Samsung maker trailer; refused as
// UNSUPPORTED_FORMAT when it is anything else, undeclared, damaged, or carries a payload.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { sniff } from '../../../lambdas/quality/sniff.ts';
import {
  containerXmp,
  filler,
  isoBox,
  mp4Video,
  mpfIndex,
  samsungTrailer,
  withSegment,
} from '../../support/camera-media.ts';

const photo = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#7a6a5a' } })
  .jpeg({ quality: 90 })
  .toBuffer();
const gainMap = await sharp({ create: { width: 80, height: 60, channels: 3, background: '#404040' } })
  .greyscale()
  .jpeg({ quality: 85 })
  .toBuffer();
const video = mp4Video(20_000);

/** The photo with an MPF index for one secondary image, and that image appended. */
const ultraHdr = (secondary: Buffer = gainMap): Buffer => {
  const primary = withSegment(photo, 0xe2, mpfIndex(photo.length + 60, secondary.length));
  return Buffer.concat([primary, secondary]);
};
const motionPhoto = (items: { mime: string; semantic: string; length: number }[], ...appended: Buffer[]): Buffer =>
  Buffer.concat([withSegment(photo, 0xe1, containerXmp(items)), ...appended]);

describe('sniff: media a camera appends after the image', () => {
  it.each([
    ['an Ultra HDR / MPO secondary JPEG declared by MPF', ultraHdr(), ['image/jpeg']],
    [
      'a motion photo: its video declared by the container directory',
      motionPhoto([{ mime: 'video/mp4', semantic: 'MotionPhoto', length: video.length }], video),
      ['video/mp4'],
    ],
    [
      'an Ultra HDR motion photo: gain map, then video',
      motionPhoto(
        [
          { mime: 'image/jpeg', semantic: 'GainMap', length: gainMap.length },
          { mime: 'video/mp4', semantic: 'MotionPhoto', length: video.length },
        ],
        gainMap,
        video,
      ),
      ['image/jpeg', 'video/mp4'],
    ],
    [
      'a Samsung trailer',
      Buffer.concat([photo, samsungTrailer([[0x0a01, 'Image_UTC_Data', Buffer.from('1764547200000', 'latin1')]])]),
      ['samsung-trailer'],
    ],
    [
      'a Samsung trailer after a declared gain map',
      Buffer.concat([ultraHdr(), samsungTrailer([[0x0a01, 'Image_UTC_Data', Buffer.from('1764547200000', 'latin1')]])]),
      ['image/jpeg', 'samsung-trailer'],
    ],
    [
      'padding between the image and its gain map',
      ultraHdr(Buffer.concat([Buffer.alloc(100), gainMap])),
      ['image/jpeg'],
    ],
  ])('accepts %s', (_name, file, items) => {
    // Act
    const result = sniff(file);
    // Assess
    expect(result.problem).toBeUndefined();
    expect(result.type).toBe('image/jpeg');
    expect(result.secondaryItems).toEqual(items);
    expect(result.trailingBytes).toBeGreaterThan(64);
  });

  const truncatedVideo = video.subarray(0, video.length - 10);
  const videoWithZip = Buffer.concat([
    video,
    isoBox(
      'free',
      Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), filler(200, 3), Buffer.from('PK\x05\x06', 'latin1')]),
    ),
  ]);
  const brokenDirectory = samsungTrailer([[0x0a01, 'Image_UTC_Data', Buffer.from('1764547200000', 'latin1')]]);
  brokenDirectory.write('SEFX', brokenDirectory.length - 8 - (12 + 12), 'latin1');

  it.each([
    [
      'a JPEG appended without an MPF index or container directory',
      Buffer.concat([photo, gainMap]),
      'bytes after end of image',
    ],
    ['a video appended without a container directory', Buffer.concat([photo, video]), 'bytes after end of image'],
    [
      'a declared secondary JPEG cut short',
      ultraHdr(gainMap.subarray(0, gainMap.length - 40)),
      'bytes after end of image',
    ],
    [
      'a declared video whose last box overruns the file',
      motionPhoto([{ mime: 'video/mp4', semantic: 'MotionPhoto', length: video.length }], truncatedVideo),
      'bytes after end of image',
    ],
    [
      'a declared video hiding a ZIP',
      motionPhoto([{ mime: 'video/mp4', semantic: 'MotionPhoto', length: videoWithZip.length }], videoWithZip),
      'payload after end of image',
    ],
    [
      'random bytes after a declared gain map',
      ultraHdr(Buffer.concat([gainMap, filler(5000, 9)])),
      'bytes after end of image',
    ],
    [
      'a Samsung trailer whose directory is not SEFH',
      Buffer.concat([photo, brokenDirectory]),
      'bytes after end of image',
    ],
    [
      'five declared images (more than a camera appends)',
      Buffer.concat([
        withSegment(photo, 0xe2, mpfIndex(photo.length, gainMap.length)),
        gainMap,
        gainMap,
        gainMap,
        gainMap,
        gainMap,
      ]),
      'bytes after end of image',
    ],
  ])('refuses %s', (_name, file, detail) => {
    // Act
    const result = sniff(file);
    // Assess
    expect(result.problem).toBe('UNSUPPORTED_FORMAT');
    expect(result.detail).toContain(detail);
  });
});
