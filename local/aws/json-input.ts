/** Typed readers for JSON 1.1 request fields; wrong types become AWS `ValidationException`s. */
import { AwsServiceError } from './json-protocol-server.ts';

type Input = Record<string, unknown>;

/** A `ValidationException` naming the field (never its value). */
export function validation(message: string): AwsServiceError {
  return new AwsServiceError('ValidationException', message);
}

/** A required string field. */
export function requiredString(input: Input, field: string, error = validation): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '') throw error(`${field} is required and must be a non-empty string`);
  return value;
}

/** An optional string field. */
export function optionalString(input: Input, field: string, error = validation): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw error(`${field} must be a string`);
  return value;
}

/** An optional number field within bounds. */
export function optionalNumber(
  input: Input,
  field: string,
  min: number,
  max: number,
  error = validation,
): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw error(`${field} must be a number between ${min} and ${max}`);
  }
  return value;
}

/** An optional object field. */
export function optionalObject(input: Input, field: string, error = validation): Input | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw error(`${field} must be an object`);
  return value as Input;
}

/** Linear-time check (a regex with repetition overflows the stack on multi-MB strings). */
function isBase64(value: string): boolean {
  if (value.length % 4 !== 0) return false;
  const body = value.endsWith('==') ? value.slice(0, -2) : value.endsWith('=') ? value.slice(0, -1) : value;
  return !/[^A-Za-z0-9+/]/.test(body);
}

/** A base64 blob field decoded to bytes (`undefined` when absent). */
export function optionalBlob(input: Input, field: string, error = validation): Buffer | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !isBase64(value)) throw error(`${field} must be base64-encoded binary data`);
  return Buffer.from(value, 'base64');
}

/** A required base64 blob field of `min`..`max` bytes. */
export function requiredBlob(input: Input, field: string, min: number, max: number, error = validation): Buffer {
  const bytes = optionalBlob(input, field, error);
  if (bytes === undefined) throw error(`${field} is required`);
  if (bytes.length < min || bytes.length > max) throw error(`${field} must be between ${min} and ${max} bytes`);
  return bytes;
}

/** A `Record<string, string>` field such as an encryption context. */
export function optionalStringMap(input: Input, field: string, error = validation): Record<string, string> {
  const value = optionalObject(input, field, error) ?? {};
  for (const entry of Object.values(value)) {
    if (typeof entry !== 'string') throw error(`${field} values must be strings`);
  }
  return value as Record<string, string>;
}
