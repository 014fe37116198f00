/** The image bytes could not be decoded (not an image, truncated, unsupported format, too many pixels). */
export class FaceEngineImageError extends Error {
  /** Number of bytes received, for diagnostics (never the bytes themselves). */
  readonly byteLength: number;

  constructor(message: string, byteLength: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FaceEngineImageError';
    this.byteLength = byteLength;
  }
}

/** The face models could not be loaded (missing files, WASM backend failure). */
export class FaceEngineLoadError extends Error {
  /** Folder the models were loaded from. */
  readonly modelPath: string;

  constructor(message: string, modelPath: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FaceEngineLoadError';
    this.modelPath = modelPath;
  }
}
