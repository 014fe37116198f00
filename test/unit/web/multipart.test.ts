import { describe, expect, it } from 'vitest';
import { MultipartError, boundaryOf, parseMultipart } from '../../browser/harness/multipart.ts';

/** Encodes a FormData the way a browser does (undici's Response does the same). */
async function encode(form: FormData): Promise<{ body: Buffer; contentType: string }> {
  const response = new Response(form);
  return {
    body: Buffer.from(await response.arrayBuffer()),
    contentType: response.headers.get('content-type') ?? '',
  };
}

describe('multipart parser of the test S3 receiver', () => {
  it('keeps parts in order with names, file name, content type and exact bytes', async () => {
    // Prepare
    const bytes = Buffer.from([0xff, 0xd8, 0xff, 0x0d, 0x0a, 0x2d, 0x2d, 0x00, 0xd9]);
    const form = new FormData();
    form.append('key', 'intake/v/a/selfie');
    form.append('Policy', 'eyJ9');
    form.append('file', new Blob([bytes], { type: 'image/jpeg' }), 'selfie.jpg');
    const { body, contentType } = await encode(form);

    // Act
    const parts = parseMultipart(body, boundaryOf(contentType));

    // Assess
    expect(parts.map((part) => part.name)).toEqual(['key', 'Policy', 'file']);
    expect(parts[0]?.data.toString()).toBe('intake/v/a/selfie');
    expect(parts[2]).toMatchObject({ filename: 'selfie.jpg', contentType: 'image/jpeg' });
    expect(parts[2]?.data.equals(bytes)).toBe(true);
  });

  it.each([
    [undefined, /not multipart/],
    ['application/json', /not multipart/],
    ['multipart/form-data', /not multipart/],
  ])('refuses content type %j', (contentType, message) => {
    // Act + Assess
    expect(() => boundaryOf(contentType)).toThrow(message);
  });

  it.each([
    ['no boundary at all', 'hello', /boundary not found/],
    ['an unterminated part', '--b\r\nContent-Disposition: form-data; name="x"\r\n\r\nvalue', /not terminated/],
    ['a part without a name', '--b\r\nContent-Disposition: form-data\r\n\r\nv\r\n--b--', /without a name/],
  ])('refuses %s', (_name, body, message) => {
    // Act + Assess
    expect(() => parseMultipart(Buffer.from(body), 'b')).toThrow(MultipartError);
    expect(() => parseMultipart(Buffer.from(body), 'b')).toThrow(message);
  });
});
