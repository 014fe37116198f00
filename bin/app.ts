#!/usr/bin/env node
/**
 * CDK entry point (`cdk.json` runs it with tsx). Reads the typed configuration from context
 * (`-c kyc='{"region":"eu-central-1"}'` or `-c kycConfigFile=kyc.json`); an invalid value
 * stops synthesis with a `ConfigError` naming every problem. `AwsSolutionsChecks` and our
 * `KycChecks` run on every synth, so a non-compliant change cannot be deployed: their errors
 * fail `cdk synth`/`cdk deploy`.
 */
import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError, configFromContext } from '../lib/config.ts';
import { buildKycApp } from '../lib/kyc-app.ts';
import { KycChecks } from '../lib/rules/kyc-checks.ts';

const app = new App();
try {
  buildKycApp(app, configFromContext(app.node));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
Aspects.of(app).add(new AwsSolutionsChecks({ reports: false }));
Aspects.of(app).add(new KycChecks({ reports: false }));
app.synth();
