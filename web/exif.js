// A minimal EXIF block for photos the page takes with the camera. A canvas JPEG carries no
// metadata at all, and a 1280 x 720 or 1920 x 1080 JPEG without any camera tag is what a
// screenshot looks like to the server's quality gate (SCREENSHOT_DETECTED). The page states
// what it knows and nothing more: which camera the browser used (the track's label) and that
// the reference page took the photo.

/** TIFF tag numbers (IFD0). */
const TAGS = { make: 0x010f, model: 0x0110, software: 0x0131 };

/**
 * The JPEG with an EXIF APP1 segment (IFD0: Make, Model, Software as ASCII) right after SOI.
 * Input that is not a JPEG is returned unchanged.
 *
 * @param {Uint8Array} jpeg
 * @param {{ make: string, model: string, software: string }} fields printable ASCII (other characters become '?')
 * @returns {Uint8Array}
 * @example
 * const tagged = withCameraExif(bytes, { make: 'Web camera', model: track.label, software: 'serverless-kyc reference page' });
 */
export function withCameraExif(jpeg, fields) {
  if (jpeg.length < 2 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return jpeg;
  const entries = /** @type {const} */ (['make', 'model', 'software']).map((key) => {
    const text = `${fields[key].replace(/[^\x20-\x7e]/g, '?').slice(0, 120) || '-'}\0`;
    return { tag: TAGS[key], bytes: new globalThis.TextEncoder().encode(text) };
  });
  const ifdSize = 2 + entries.length * 12 + 4;
  const dataSize = entries.reduce((sum, entry) => sum + entry.bytes.length, 0);
  const tiff = new Uint8Array(8 + ifdSize + dataSize);
  const view = new DataView(tiff.buffer);
  tiff.set([0x49, 0x49, 0x2a, 0x00]); // "II", 42: little-endian TIFF
  view.setUint32(4, 8, true); // IFD0 right after the header
  view.setUint16(8, entries.length, true);
  let dataOffset = 8 + ifdSize;
  entries.forEach((entry, index) => {
    const at = 10 + index * 12;
    view.setUint16(at, entry.tag, true);
    view.setUint16(at + 2, 2, true); // ASCII
    view.setUint32(at + 4, entry.bytes.length, true);
    if (entry.bytes.length <= 4) tiff.set(entry.bytes, at + 8);
    else {
      view.setUint32(at + 8, dataOffset, true);
      tiff.set(entry.bytes, dataOffset);
      dataOffset += entry.bytes.length;
    }
  });
  view.setUint32(10 + entries.length * 12, 0, true); // no IFD1
  const header = new globalThis.TextEncoder().encode('Exif\0\0');
  const length = 2 + header.length + tiff.length;
  const out = new Uint8Array(jpeg.length + 2 + length);
  out.set([0xff, 0xd8, 0xff, 0xe1, length >> 8, length & 0xff]);
  out.set(header, 6);
  out.set(tiff, 6 + header.length);
  out.set(jpeg.subarray(2), 6 + header.length + tiff.length);
  return out;
}
