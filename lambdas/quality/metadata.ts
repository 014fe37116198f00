/**
 * Metadata checks for the quality gate (PRODUCT §2: image edited, screenshot).
 *
 * Reads EXIF, XMP and PNG text with exifr, plus the raw metadata text the sniffer collected
 * (so a tag exifr does not map is still seen). Heuristics and their limits:
 * - Edited: a Software / CreatorTool / HistorySoftwareAgent / ProcessingSoftware value naming an
 *   editing application. Metadata is trivially stripped, so this catches careless edits only;
 *   it never proves an image is unedited.
 * - Screenshot: (1) an explicit marker: EXIF/XMP UserComment "Screenshot" (what iOS and macOS
 *   write), or a Software/description naming a screenshot tool; or (2) no camera Make/Model
 *   AND dimensions exactly equal to a common screen resolution (either orientation). Some of
 *   those sizes are also camera frames (CAMERA_FRAME_SIZES: a browser's `getUserMedia` capture
 *   at 720p or 1080p drawn to a canvas and encoded without metadata, a 3 MP still), so for them
 *   the size alone decides nothing (`screenOrCameraFrame`): the gate calls such a file a
 *   screenshot only when its pixels are drawn, not sensed (`screen.ts`). A camera photo that was
 *   stripped of EXIF and happens to match a phone screen size is a false positive (rare: phone
 *   cameras shoot 4:3 at sensor sizes, not screen sizes); a screenshot rescaled to an odd size
 *   without markers is missed.
 */
import exifr from 'exifr';
import type { ReasonCode } from '../domain/reason-codes.ts';

/** Editing applications recognised in Software / CreatorTool / HistorySoftwareAgent. */
export const EDITING_SOFTWARE: readonly RegExp[] = [
  /photoshop/i,
  /\bgimp\b/i,
  /snapseed/i,
  /lightroom/i,
  /pixelmator/i,
  /affinity/i,
  /\bcanva\b/i,
  /picsart/i,
  /facetune/i,
  /meitu/i,
  /paint\.net/i,
  /photopea/i,
  /\bfotor\b/i,
  /airbrush/i,
  /beautyplus/i,
  /\bvsco\b/i,
  /photodirector/i,
  /corel\s*(paint|photo)/i,
  /\bkrita\b/i,
  /faceapp/i,
  /remini/i,
  /lensa/i,
];

/** Screen resolutions (width x height, landscape) that screenshots come in. */
export const SCREEN_RESOLUTIONS: readonly (readonly [number, number])[] = [
  [1280, 720],
  [1280, 800],
  [1366, 768],
  [1440, 900],
  [1536, 864],
  [1600, 900],
  [1680, 1050],
  [1920, 1080],
  [1920, 1200],
  [2048, 1536],
  [2160, 1620],
  [2224, 1668],
  [2360, 1640],
  [2388, 1668],
  [2560, 1440],
  [2560, 1600],
  [2732, 2048],
  [2880, 1800],
  [3024, 1964],
  [3456, 2234],
  [3840, 2160],
  [1334, 750],
  [1792, 828],
  [2208, 1242],
  [2340, 1080],
  [2400, 1080],
  [2436, 1125],
  [2532, 1170],
  [2556, 1179],
  [2688, 1242],
  [2778, 1284],
  [2796, 1290],
  [3200, 1440],
];

export interface MetadataFindings {
  readonly reasons: ReasonCode[];
  /** 1 when a camera Make or Model is present. */
  readonly hasCamera: boolean;
  /**
   * No camera metadata, in a size that is both a screen resolution and a camera frame
   * (`CAMERA_FRAME_SIZES`): a screenshot or a camera capture, which only the pixels tell.
   */
  readonly screenOrCameraFrame: boolean;
  /** EXIF orientation (1-8) when present. */
  readonly orientation?: number;
}

const SOFTWARE_KEYS = ['Software', 'CreatorTool', 'HistorySoftwareAgent', 'ProcessingSoftware', 'softwareAgent'];
const COMMENT_KEYS = ['UserComment', 'ImageDescription', 'description', 'Description', 'Comment', 'XPComment'];

function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
  if (Array.isArray(value)) return value.map(asText).join(' ');
  if (typeof value === 'object')
    return Object.values(value as Record<string, unknown>)
      .map(asText)
      .join(' ');
  return String(value);
}

/**
 * Sizes that cameras produce as well as screens (landscape): the 16:9 HD video frames browsers
 * and webcams deliver, and the 4:3 3-megapixel still. A file of one of these sizes without camera
 * metadata is judged by its pixels (`screen.ts`).
 */
export const CAMERA_FRAME_SIZES: readonly (readonly [number, number])[] = [
  [1280, 720],
  [1600, 900],
  [1920, 1080],
  [2560, 1440],
  [3840, 2160],
  [2048, 1536],
];

const sizeIn = (sizes: readonly (readonly [number, number])[], width: number, height: number): boolean =>
  sizes.some(([w, h]) => (w === width && h === height) || (w === height && h === width));

/** True when `width` x `height` is a size cameras produce as well as screens (`CAMERA_FRAME_SIZES`), either orientation. */
export function isCameraFrameSize(width: number, height: number): boolean {
  return sizeIn(CAMERA_FRAME_SIZES, width, height);
}

/** True when `width` x `height` equals a known screen resolution in either orientation. */
export function isScreenResolution(width: number, height: number): boolean {
  return sizeIn(SCREEN_RESOLUTIONS, width, height);
}

/** True when `text` names an editing application. */
export function namesEditingSoftware(text: string): boolean {
  return EDITING_SOFTWARE.some((pattern) => pattern.test(text));
}

const SCREENSHOT_MARKER = /screenshot|screen\s*shot|snipping\s*tool|screencapture|截屏|截图/i;

/**
 * Inspects the metadata of an image. Never throws: unreadable metadata is treated as absent
 * (corrupt files are caught by the structure and decode checks).
 */
export async function inspectMetadata(
  bytes: Buffer,
  input: { readonly metadataText?: string; readonly width?: number; readonly height?: number },
): Promise<MetadataFindings> {
  let tags: Record<string, unknown> = {};
  try {
    const parsed: unknown = await exifr.parse(bytes, {
      tiff: true,
      exif: true,
      xmp: true,
      ihdr: true,
      userComment: true,
      icc: false,
      iptc: false,
      mergeOutput: true,
    });
    if (parsed && typeof parsed === 'object') tags = parsed as Record<string, unknown>;
  } catch {
    tags = {};
  }
  const software = SOFTWARE_KEYS.map((key) => asText(tags[key])).join(' ');
  const comments = COMMENT_KEYS.map((key) => asText(tags[key])).join(' ');
  const raw = input.metadataText ?? '';
  const reasons: ReasonCode[] = [];
  // The raw text catches XMP history entries (`stEvt:softwareAgent`) and tags exifr leaves out.
  const rawSoftware = /(?:Software|CreatorTool|softwareAgent)[^\n]{0,120}/gi;
  const rawHits = raw.match(rawSoftware)?.join(' ') ?? '';
  if (namesEditingSoftware(software) || namesEditingSoftware(rawHits)) reasons.push('IMAGE_EDITED');

  const hasCamera = asText(tags.Make).trim() !== '' || asText(tags.Model).trim() !== '';
  const explicitScreenshot =
    SCREENSHOT_MARKER.test(comments) ||
    SCREENSHOT_MARKER.test(software) ||
    /UserComment[^\n]{0,80}Screenshot/i.test(raw);
  const screenSized =
    !hasCamera &&
    input.width !== undefined &&
    input.height !== undefined &&
    isScreenResolution(input.width, input.height);
  const screenOrCameraFrame = screenSized && isCameraFrameSize(input.width ?? 0, input.height ?? 0);
  if (explicitScreenshot || (screenSized && !screenOrCameraFrame)) reasons.push('SCREENSHOT_DETECTED');

  const orientation = typeof tags.Orientation === 'number' ? tags.Orientation : undefined;
  return { reasons, hasCamera, screenOrCameraFrame, ...(orientation !== undefined ? { orientation } : {}) };
}
