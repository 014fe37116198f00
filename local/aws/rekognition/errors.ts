/** AWS-shaped errors of the local Rekognition. */
import { AwsServiceError } from '../json-protocol-server.ts';

export const invalidParameter = (message: string): AwsServiceError =>
  new AwsServiceError('InvalidParameterException', message);
export const resourceNotFound = (message: string): AwsServiceError =>
  new AwsServiceError('ResourceNotFoundException', message);
export const invalidImageFormat = (message = 'Request has invalid image format'): AwsServiceError =>
  new AwsServiceError('InvalidImageFormatException', message);
export const imageTooLarge = (message: string): AwsServiceError =>
  new AwsServiceError('ImageTooLargeException', message);
export const invalidS3Object = (message: string): AwsServiceError =>
  new AwsServiceError('InvalidS3ObjectException', message);
