#!/usr/bin/env node
/**
 * CDK entry point (`cdk.json` runs it with tsx). Reads the typed configuration from context
 * (`-c kyc='{"region":"eu-central-1"}'` or `-c kycConfigFile=kyc.json`); an invalid value
 * stops synthesis with a `ConfigError` naming every problem.
 */
import { App } from 'aws-cdk-lib';
import { ConfigError, configFromContext } from '../lib/config.ts';
import { buildKycApp } from '../lib/kyc-app.ts';

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
app.synth();
