/** The upload quality gate: see `gate.ts`. */
export {
  createQualityGate,
  runQualityGate,
  sanitizeImage,
  QUALITY_GATE_PROCESSOR,
  type QualityGateOptions,
} from './gate.ts';
export { sniff, type SniffResult, type SniffedType } from './sniff.ts';
export { judgeFaces } from './faces.ts';
