import { describe, expect, it } from 'vitest';
import {
  inAnyRegion,
  readingArea,
  regionsOfInterest,
  shareInside,
  type FractionBox,
} from '../../../local/aws/rekognition/text-regions.ts';

const lowerHalf = regionsOfInterest([{ BoundingBox: { Left: 0, Top: 0.5, Width: 1, Height: 0.5 } }]);
const box = (left: number, top: number, width: number, height: number): FractionBox => ({ left, top, width, height });

describe('regionsOfInterest', () => {
  it('reads a bounding box as its four corners, cut at the image edge', () => {
    // Act
    const regions = regionsOfInterest([{ BoundingBox: { Left: 0.6, Top: 0.5, Width: 0.7, Height: 0.2 } }]);

    // Assess
    expect(regions).toEqual([
      [
        { x: 0.6, y: 0.5 },
        { x: 1, y: 0.5 },
        { x: 1, y: 0.7 },
        { x: 0.6, y: 0.7 },
      ],
    ]);
  });

  it('reads a polygon as given, and no regions as the whole image', () => {
    // Act / Assess
    expect(
      regionsOfInterest([
        {
          Polygon: [
            { X: 0, Y: 0 },
            { X: 1, Y: 0 },
            { X: 0, Y: 1 },
          ],
        },
      ]),
    ).toEqual([
      [
        { x: 0, y: 0 },
        { x: 1, y: 0 },
        { x: 0, y: 1 },
      ],
    ]);
    expect(regionsOfInterest(undefined)).toEqual([]);
    expect(regionsOfInterest([])).toEqual([]);
  });

  it.each([
    ['not a list', { BoundingBox: {} }, /must be a list/],
    ['eleven regions', Array.from({ length: 11 }, () => ({ BoundingBox: { Width: 1, Height: 1 } })), /at most 10/],
    ['a region with neither shape', [{}], /needs a BoundingBox or a Polygon/],
    ['a region that is not an object', ['box'], /must be an object/],
    ['a coordinate outside 0..1', [{ BoundingBox: { Left: -0.1, Width: 1, Height: 1 } }], /Left must be a number/],
    ['a text coordinate', [{ BoundingBox: { Top: '0.5', Width: 1, Height: 1 } }], /Top must be a number/],
    [
      'a two-point polygon',
      [
        {
          Polygon: [
            { X: 0, Y: 0 },
            { X: 1, Y: 1 },
          ],
        },
      ],
      /3 to 10 points/,
    ],
    ['a polygon point without Y', [{ Polygon: [{ X: 0, Y: 0 }, { X: 1, Y: 1 }, { X: 1 }] }], /Polygon\[2\]\.Y/],
  ])('refuses %s with InvalidParameterException', (_name, value, message) => {
    // Act / Assess
    expect(() => regionsOfInterest(value)).toThrow(
      expect.objectContaining({ type: 'InvalidParameterException', message: expect.stringMatching(message) }),
    );
  });
});

describe('shareInside and inAnyRegion', () => {
  it('measures the share of a word inside a box region', () => {
    // Act / Assess
    expect(shareInside(box(0.1, 0.6, 0.2, 0.1), lowerHalf[0]!)).toBeCloseTo(1);
    expect(shareInside(box(0.1, 0.1, 0.2, 0.1), lowerHalf[0]!)).toBe(0);
    expect(shareInside(box(0.1, 0.45, 0.2, 0.1), lowerHalf[0]!)).toBeCloseTo(0.5);
    expect(shareInside(box(0.1, 0.42, 0.2, 0.1), lowerHalf[0]!)).toBeCloseTo(0.2);
  });

  it('keeps a word only when more than half of it is in one region', () => {
    // Act / Assess
    expect(inAnyRegion(box(0.1, 0.46, 0.2, 0.1), lowerHalf)).toBe(true);
    expect(inAnyRegion(box(0.1, 0.449, 0.2, 0.1), lowerHalf)).toBe(false);
    expect(inAnyRegion(box(0.1, 0.44, 0.2, 0.1), lowerHalf)).toBe(false);
  });

  it('measures overlap with a triangle and a concave polygon exactly', () => {
    // Prepare: the triangle below the diagonal from the top right to the bottom left corner
    const [triangle] = regionsOfInterest([
      {
        Polygon: [
          { X: 1, Y: 0 },
          { X: 1, Y: 1 },
          { X: 0, Y: 1 },
        ],
      },
    ]);
    // An L shape: the left column and the bottom row, each 0.2 thick
    const [ell] = regionsOfInterest([
      {
        Polygon: [
          { X: 0, Y: 0 },
          { X: 0.2, Y: 0 },
          { X: 0.2, Y: 0.8 },
          { X: 1, Y: 0.8 },
          { X: 1, Y: 1 },
          { X: 0, Y: 1 },
        ],
      },
    ]);

    // Act / Assess
    expect(shareInside(box(0.4, 0.4, 0.2, 0.2), triangle!)).toBeCloseTo(0.5);
    expect(shareInside(box(0.8, 0.8, 0.2, 0.2), triangle!)).toBeCloseTo(1);
    expect(shareInside(box(0, 0, 0.4, 0.4), ell!)).toBeCloseTo(0.5);
    expect(shareInside(box(0.5, 0.5, 0.2, 0.2), ell!)).toBe(0);
    expect(shareInside(box(0.1, 0.7, 0.4, 0.2), ell!)).toBeCloseTo((0.1 * 0.1 + 0.4 * 0.1) / 0.08);
  });

  it('keeps a word in any of several regions', () => {
    // Prepare
    const regions = regionsOfInterest([
      { BoundingBox: { Left: 0, Top: 0, Width: 0.3, Height: 0.3 } },
      { BoundingBox: { Left: 0.7, Top: 0.7, Width: 0.3, Height: 0.3 } },
    ]);

    // Act / Assess
    expect(inAnyRegion(box(0.8, 0.8, 0.1, 0.1), regions)).toBe(true);
    expect(inAnyRegion(box(0.4, 0.4, 0.1, 0.1), regions)).toBe(false);
  });
});

describe('readingArea', () => {
  it('is the regions’ bounding box grown by the margin, within the image', () => {
    // Prepare
    const regions = regionsOfInterest([
      { BoundingBox: { Left: 0.1, Top: 0.5, Width: 0.2, Height: 0.1 } },
      { BoundingBox: { Left: 0.6, Top: 0.9, Width: 0.4, Height: 0.1 } },
    ]);

    // Act
    const area = readingArea(regions, 0.05);

    // Assess
    expect(area.left).toBeCloseTo(0.05);
    expect(area.top).toBeCloseTo(0.45);
    expect(area.left + area.width).toBeCloseTo(1);
    expect(area.top + area.height).toBeCloseTo(1);
  });
});
