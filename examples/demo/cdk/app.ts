/**
 * The demo app on AWS: the seed's whole architecture (backend shifted by CodeDeploy, one-box
 * frontend with an alarm-watching bake, sticky CloudFront) from one ProdOneBoxApp.
 *
 *   cd examples/demo/cdk && npx cdk synth      # offline; `npx cdk deploy` with credentials
 *
 * Handlers come from the demo shop's build, examples/demo/dist/<release>/{web,api} (run
 * `node examples/demo/build.mjs` first; pick the release with `-c release=v2`, default v1),
 * else from the small inline handlers below, so the app always synthesizes.
 * In your own project, import from 'onebox/aws' instead of the relative path.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { AliasHttpApi } from '../../../src/aws/http-api.js';
import { ProdOneBoxApp } from '../../../src/aws/index.js';
import { ServerlessDemoStack } from './serverless.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** A small SSR page that calls the API from the browser, and names the version that served it. */
const INLINE_FRONTEND = `exports.handler = async () => ({
  statusCode: 200,
  headers: { 'content-type': 'text/html; charset=utf-8', 'x-onebox-version': 'frontend:' + process.env.AWS_LAMBDA_FUNCTION_VERSION },
  body: '<!doctype html><title>onebox demo</title><h1>onebox demo</h1><p>frontend version ' +
    process.env.AWS_LAMBDA_FUNCTION_VERSION + '</p><pre id="api"></pre>' +
    '<script>fetch("/api/hello").then(r => r.text()).then(t => { document.getElementById("api").textContent = t; });</script>',
});`;

/** The API: who answered, and the user the edge put in the baggage header. */
const INLINE_BACKEND = `exports.handler = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ path: event.rawPath, version: process.env.AWS_LAMBDA_FUNCTION_VERSION, baggage: (event.headers || {}).baggage || null }),
});`;

function handlerCode(name: 'frontend' | 'backend', release: string): lambda.Code {
  const built = join(HERE, '..', 'dist', release, name === 'frontend' ? 'web' : 'api');
  if (existsSync(join(built, 'index.js')) || existsSync(join(built, 'index.mjs'))) return lambda.Code.fromAsset(built);
  return lambda.Code.fromInline(name === 'frontend' ? INLINE_FRONTEND : INLINE_BACKEND);
}

export class DemoStack extends Stack {
  readonly app: ProdOneBoxApp;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const fn = (name: 'frontend' | 'backend', release?: string): lambda.FunctionProps => ({
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: handlerCode(name, release ?? String(this.node.tryGetContext('release') ?? 'v1')),
      memorySize: 512,
      description: `onebox demo ${name}${release ? ` ${release} (shadow)` : ''}`,
    });
    // The API's next release in the shadow (-c shadowRelease=v3, default v2): its own function
    // behind its own HTTP API, compared with the live API from CloudFront's real-time logs.
    const shadowRelease = String(this.node.tryGetContext('shadowRelease') ?? 'v2');
    const shadowFn = new lambda.Function(this, 'BackendShadow', fn('backend', shadowRelease));
    const shadowAlias = new lambda.Alias(this, 'BackendShadowAlias', {
      aliasName: 'shadow',
      version: shadowFn.currentVersion,
    });
    const shadowApi = new AliasHttpApi(this, 'BackendShadowHttp', shadowAlias);
    this.app = new ProdOneBoxApp(this, 'Demo', {
      backend: fn('backend'),
      frontend: fn('frontend'),
      backendShadow: { shadowUrl: shadowApi.api.apiEndpoint, share: 0.1 },
    });
    // The shop's server-side render calls the API (examples/demo/src/web/handler.js).
    for (const partition of [this.app.frontend.oneBox, this.app.frontend.regular])
      partition.function.addEnvironment('DEMO_API_ORIGIN', this.app.backendApi.api.apiEndpoint);

    // What cdk-nag flags that this demo accepts, each with its reason (the constructs
    // acknowledge their own internals).
    const ack = (id: string, reason: string) => Validations.of(this).acknowledge({ id: `AwsSolutions::${id}`, reason });
    ack(
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "The demo's handlers only write their own logs",
    );
    ack('AwsSolutions-APIG4', 'A public website and its public API: no login in the demo');
    ack('AwsSolutions-CFR1', 'The demo serves every country');
    ack('AwsSolutions-CFR2', 'No WAF in the demo; add one with edge.distributionProps.webAclId');
    ack('AwsSolutions-CFR3', 'The demo keeps no CloudFront access logs; enable them with edge.distributionProps');
    ack(
      'AwsSolutions-CFR4',
      'The demo uses the default *.cloudfront.net certificate, which allows TLSv1; give a certificate and minimumProtocolVersion in production',
    );
  }
}

/** The app, with cdk-nag's AwsSolutions checks: synth fails on any unacknowledged error. */
export function demoApp(outdir?: string): { app: App; stack: DemoStack; serverless: ServerlessDemoStack } {
  const app = new App(outdir ? { outdir } : {});
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  // Lambda@Edge functions live in us-east-1, and the shadow mirror (when added) needs it too.
  const stack = new DemoStack(app, 'OneboxDemo', {
    env: { account: process.env['CDK_DEFAULT_ACCOUNT'], region: 'us-east-1' },
  });
  // The same shop on onebox's serverless control plane (serverless.ts).
  const serverless = new ServerlessDemoStack(app, 'OneboxDemoServerless', {
    env: { account: process.env['CDK_DEFAULT_ACCOUNT'], region: 'us-east-1' },
  });
  return { app, stack, serverless };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  demoApp().app.synth();
}
