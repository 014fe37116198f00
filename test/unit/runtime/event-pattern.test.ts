import { describe, expect, it } from 'vitest';
import { matchesEventPattern } from '../../../local/runtime/events/event-pattern.ts';

const event = {
  source: 'aws.s3',
  'detail-type': 'Object Created',
  resources: ['arn:aws:s3:::intake'],
  detail: { bucket: { name: 'intake' }, object: { key: 'uploads/v1/a1/selfie', size: 120_000 }, reason: 'PostObject' },
};

describe('matchesEventPattern: EventBridge pattern semantics', () => {
  it.each([
    ['exact values', { source: ['aws.s3'], 'detail-type': ['Object Created'] }, true],
    ['nested fields', { detail: { bucket: { name: ['intake'] } } }, true],
    ['a value list', { detail: { reason: ['PutObject', 'PostObject'] } }, true],
    ['another bucket', { detail: { bucket: { name: ['vault'] } } }, false],
    ['prefix', { detail: { object: { key: [{ prefix: 'uploads/' }] } } }, true],
    ['suffix', { detail: { object: { key: [{ suffix: '/document_front' }] } } }, false],
    ['anything-but', { detail: { reason: [{ 'anything-but': ['DeleteObject'] }] } }, true],
    ['anything-but prefix', { detail: { object: { key: [{ 'anything-but': { prefix: 'uploads/' } }] } } }, false],
    ['exists', { detail: { object: { size: [{ exists: true }] } } }, true],
    ['not exists', { detail: { 'deletion-type': [{ exists: false }] } }, true],
    ['numeric', { detail: { object: { size: [{ numeric: ['>=', 100_000, '<', 10_000_000] }] } } }, true],
    ['numeric out of range', { detail: { object: { size: [{ numeric: ['<', 100] }] } } }, false],
    ['an array field', { resources: ['arn:aws:s3:::intake'] }, true],
    ['equals-ignore-case', { 'detail-type': [{ 'equals-ignore-case': 'object created' }] }, true],
    ['wildcard', { detail: { object: { key: [{ wildcard: 'uploads/*/selfie' }] } } }, true],
    ['$or', { $or: [{ source: ['aws.ec2'] }, { detail: { reason: ['PostObject'] } }] }, true],
    ['a missing nested object', { detail: { missing: { field: ['x'] } } }, false],
  ])('%s', (_label, pattern, expected) => {
    // Act
    const matched = matchesEventPattern(pattern, event);

    // Assess
    expect(matched).toBe(expected);
  });
});
