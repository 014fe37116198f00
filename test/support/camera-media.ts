/**
 * What phone cameras append after a JPEG's end of image, built from the formats' descriptions
 * (no real phone file is redistributable here): a Multi-Picture Format index (CIPA DC-007) and a
 * secondary JPEG, as in MPO files and Ultra HDR gain maps; a Google container XMP directory and
 * an ISO BMFF video, as in motion photos; and a Samsung maker trailer (data blocks, a `SEFH`
 * directory, `SEFT`).
 */
import { prng } from '../../scripts/fixtures/raster.ts';

/** `jpeg` with `segment` (marker and payload) inserted right after its SOI. */
export function withSegment(jpeg: Buffer, marker: number, payload: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), head, payload, jpeg.subarray(2)]);
}

/**
 * An APP2 MPF index listing the primary image and one more: big-endian TIFF header, one IFD with
 * MPFVersion, NumberOfImages and MPEntry, then two 16-byte entries.
 */
export function mpfIndex(primaryLength: number, secondaryLength: number): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 3 * 12 + 4 + 32);
  tiff.write('MM\0*', 0, 'latin1');
  tiff.writeUInt32BE(8, 4);
  tiff.writeUInt16BE(3, 8);
  const entry = (index: number, tag: number, type: number, count: number, value: Buffer | number): void => {
    const at = 10 + index * 12;
    tiff.writeUInt16BE(tag, at);
    tiff.writeUInt16BE(type, at + 2);
    tiff.writeUInt32BE(count, at + 4);
    if (typeof value === 'number') tiff.writeUInt32BE(value, at + 8);
    else value.copy(tiff, at + 8);
  };
  entry(0, 0xb000, 7, 4, Buffer.from('0100', 'latin1'));
  entry(1, 0xb001, 4, 1, 2);
  entry(2, 0xb002, 7, 32, 10 + 3 * 12 + 4);
  const entries = 10 + 3 * 12 + 4;
  tiff.writeUInt32BE(0x030000, entries);
  tiff.writeUInt32BE(primaryLength, entries + 4);
  tiff.writeUInt32BE(0, entries + 8);
  tiff.writeUInt32BE(0, entries + 16);
  tiff.writeUInt32BE(secondaryLength, entries + 20);
  tiff.writeUInt32BE(primaryLength, entries + 24);
  return Buffer.concat([Buffer.from('MPF\0', 'latin1'), tiff]);
}

/** An APP1 XMP packet with a Google container directory: the primary image, then `items`. */
export function containerXmp(items: readonly { mime: string; semantic: string; length: number }[]): Buffer {
  const listed = items
    .map(
      (item) =>
        `<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="${item.mime}" Item:Semantic="${item.semantic}" Item:Length="${item.length}"/></rdf:li>`,
    )
    .join('');
  const xmp =
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    '<rdf:Description xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" ' +
    'xmlns:Container="http://ns.google.com/photos/1.0/container/" ' +
    'xmlns:Item="http://ns.google.com/photos/1.0/container/item/" GCamera:MotionPhoto="1">' +
    '<Container:Directory><rdf:Seq><rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary"/></rdf:li>' +
    `${listed}</rdf:Seq></Container:Directory></rdf:Description></rdf:RDF></x:xmpmeta>`;
  return Buffer.concat([Buffer.from('http://ns.adobe.com/xap/1.0/\0', 'latin1'), Buffer.from(xmp, 'latin1')]);
}

/** Deterministic filler bytes with no file signature in them (no `PK`, `%PDF`, `<`, `MZ`, ELF). */
export function filler(length: number, seed: number): Buffer {
  const random = prng(seed);
  // Bytes 0x80-0xFE only: no ASCII, so no signature can form.
  return Buffer.from(Array.from({ length }, () => 0x80 + Math.floor(random() * 0x7f)));
}

/** An ISO BMFF box. */
export function isoBox(type: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(payload.length + 8, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, payload]);
}

/** A short MP4 as a motion photo carries it: `ftyp`, `moov`, `mdat`. */
export function mp4Video(mediaBytes: number, seed = 7): Buffer {
  return Buffer.concat([
    isoBox('ftyp', Buffer.from('mp42\0\0\0\0isommp42', 'latin1')),
    isoBox('moov', isoBox('mvhd', filler(100, seed))),
    isoBox('mdat', filler(mediaBytes, seed + 1)),
  ]);
}

/** A Samsung trailer with one block per `[type, name, data]`, indexed by a `SEFH` directory. */
export function samsungTrailer(blocks: readonly [number, string, Buffer][]): Buffer {
  const encoded = blocks.map(([type, name, data]) => {
    const head = Buffer.alloc(8);
    head.writeUInt16LE(0, 0);
    head.writeUInt16LE(type, 2);
    head.writeUInt32LE(name.length, 4);
    return Buffer.concat([head, Buffer.from(name, 'latin1'), data]);
  });
  const body = Buffer.concat(encoded);
  const directory = Buffer.alloc(12 + 12 * blocks.length);
  directory.write('SEFH', 0, 'latin1');
  directory.writeUInt32LE(107, 4);
  directory.writeUInt32LE(blocks.length, 8);
  let start = 0;
  encoded.forEach((block, index) => {
    const at = 12 + 12 * index;
    directory.writeUInt16LE(0, at);
    directory.writeUInt16LE(blocks[index]?.[0] ?? 0, at + 2);
    directory.writeUInt32LE(body.length - start, at + 4);
    directory.writeUInt32LE(block.length, at + 8);
    start += block.length;
  });
  const tail = Buffer.alloc(8);
  tail.writeUInt32LE(directory.length, 0);
  tail.write('SEFT', 4, 'latin1');
  return Buffer.concat([body, directory, tail]);
}

/**
 * `photo` as a recent Android phone saves it: an Ultra HDR motion photo, its image declaring (by
 * an MPF index and a container XMP) the gain map and the video appended after it. Returns the
 * whole file and its image (what the gate judges and the vault keeps).
 */
export function motionPhoto(photo: Buffer, gainMap: Buffer, video: Buffer): { file: Buffer; image: Buffer } {
  const image = withSegment(
    withSegment(
      photo,
      0xe1,
      containerXmp([
        { mime: 'image/jpeg', semantic: 'GainMap', length: gainMap.length },
        { mime: 'video/mp4', semantic: 'MotionPhoto', length: video.length },
      ]),
    ),
    0xe2,
    mpfIndex(photo.length, gainMap.length),
  );
  return { file: Buffer.concat([image, gainMap, video]), image };
}
