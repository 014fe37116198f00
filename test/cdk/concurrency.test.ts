/**
 * Concurrency caps: every function that calls Amazon Rekognition has the reserved concurrency
 * the configuration gives it, and at that concurrency no Rekognition operation can exceed the
 * configured TPS quota (the configuration refuses values that could).
 */
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  REKOGNITION_CALLERS,
  rekognitionPeakTps,
  resolveConfig,
  type PartialConfig,
} from '../../lib/config.ts';
import type { WorkflowStepId } from '../../lib/constructs/verification-workflow.ts';
import { synthKyc } from './synth.ts';

/** ReservedConcurrentExecutions of every Rekognition caller in the synthesized app stack. */
function reservedOf(): Record<string, unknown> {
  const { appStack, appTemplate } = synthKyc();
  const functions = appTemplate.findResources('AWS::Lambda::Function');
  const reserved: Record<string, unknown> = {};
  for (const step of new Set(REKOGNITION_CALLERS.map((entry) => entry.step))) {
    const fn =
      step === 'OnUpload' ? appStack.intake.onUpload.fn : appStack.workflow.functions[step as WorkflowStepId].fn;
    const logicalId = appStack.getLogicalId(fn.node.defaultChild as CfnFunction);
    reserved[step] = (
      functions[logicalId]?.Properties as { ReservedConcurrentExecutions?: unknown }
    ).ReservedConcurrentExecutions;
  }
  return reserved;
}

describe('reserved concurrency of the Rekognition callers', () => {
  it('comes from the configuration, and keeps every operation under the TPS quota', () => {
    // Prepare
    const config = resolveConfig();

    // Act
    const reserved = reservedOf();

    // Assess
    expect(reserved).toEqual({
      OnUpload: config.concurrency.onUpload,
      FaceMatch: config.concurrency.rekognitionSteps,
      Liveness: config.concurrency.rekognitionSteps,
      DocumentData: config.concurrency.rekognitionSteps,
      Duplicates: config.concurrency.rekognitionSteps,
      FinalizeApprove: config.concurrency.rekognitionSteps,
      FinalizeReject: config.concurrency.rekognitionSteps,
    });
    const peak = rekognitionPeakTps(config);
    console.log(`Rekognition worst-case TPS at full reserved concurrency: ${JSON.stringify(peak)}`);
    for (const tps of Object.values(peak)) expect(tps).toBeLessThanOrEqual(config.concurrency.rekognitionTps);
  }, 240_000);

  it('scales with a raised quota', () => {
    // Act
    const config = resolveConfig({ concurrency: { rekognitionTps: 50, onUpload: 40, rekognitionSteps: 10 } });

    // Assess
    expect(rekognitionPeakTps(config)).toEqual({
      DetectFaces: 40,
      CompareFaces: 40,
      GetFaceLivenessSessionResults: 10,
      SearchFacesByImage: 30,
      DetectText: 20,
      IndexFaces: 40,
      DeleteFaces: 20,
    });
  });

  it('leaves the functions that do not call Rekognition unreserved (no account concurrency taken from them)', () => {
    // Prepare
    const { appStack, appTemplate } = synthKyc();
    const logicalId = appStack.getLogicalId(appStack.workflow.functions.Decide.fn.node.defaultChild as CfnFunction);

    // Act
    const decide = appTemplate.findResources('AWS::Lambda::Function')[logicalId]?.Properties as Record<string, unknown>;

    // Assess
    expect(decide.ReservedConcurrentExecutions).toBeUndefined();
  });

  it.each<[PartialConfig, RegExp]>([
    [{ concurrency: { onUpload: 6 } }, /DetectFaces could reach 6 TPS/],
    [{ concurrency: { rekognitionSteps: 2 } }, /CompareFaces could reach 8 TPS/],
    [{ concurrency: { onUpload: 0 } }, /concurrency.onUpload must be an integer of at least 1/],
  ])('refuses %j', (partial, message) => {
    // Act + Assess
    expect(() => resolveConfig(partial)).toThrow(ConfigError);
    expect(() => resolveConfig(partial)).toThrow(message);
  });
});
