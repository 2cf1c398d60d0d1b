/**
 * The demo on onebox's own serverless control plane (docs/aws.md): the same controller,
 * gate and sticky steps as `onebox serve`, for both components. Each component's
 * `stable` and `canary` aliases have their own function URLs; the edge sends each user
 * to the web's canary or stable origin by the split the controller keeps in the
 * KeyValueStore (key `web`), and `cdk deploy` publishes both versions and starts one
 * release: api first, then web.
 */
import { mkdirSync, writeFileSync, existsSync, cpSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Fn, SecretValue, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { buildSync } from 'esbuild';
import type { Construct } from 'constructs';
import { BrowserBeacon, OneboxControlPlane, PIN_KEY_ENV, StickyEdge } from '../../../src/aws/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const METRICS = join(HERE, '..', '..', '..', 'src', 'aws', 'metrics.ts');
const BROWSER = join(HERE, '..', '..', '..', 'src', 'aws', 'browser.ts');
/** The Secrets Manager secret holding the page key (create it, and put the same text in the KeyValueStore). */
const PIN_KEY_SECRET = 'onebox-demo-pin-key';
/** The KeyValueStore key the edge reads the page key from. */
const PIN_KEY_KVS_KEY = 'onebox-pin-key';
const SIGNED_FETCH = join(HERE, 'signed-fetch.ts');
const BACKEND = join(HERE, '..', '..', '..', 'src', 'aws', 'backend-origin.ts');

/** Small handlers for when the shop is not built: they answer which version served them. */
const INLINE = {
  web: `export const handler = async (event) => ({ statusCode: 200, headers: { 'content-type': 'text/html' }, body: '<h1>onebox demo</h1><p>web ' + process.env.AWS_LAMBDA_FUNCTION_VERSION + '</p>' });`,
  api: `export const handler = async (event) => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: process.env.AWS_LAMBDA_FUNCTION_VERSION, baggage: (event.headers || {}).baggage || null }) });`,
};

/**
 * A component's code instrumented the way docs/aws.md tells users to: the handler wrapped
 * in withVersionMetrics (requests, handled 5xx, latency buckets per version, as EMF), and the
 * web's in withBrowserSignals too (the browser script's tag and page token in its pages).
 */
function instrumented(name: 'web' | 'api', release: string): lambda.Code {
  const built = join(HERE, '..', 'dist', release, name);
  const source = existsSync(join(built, 'index.mjs')) ? join(built, 'index.mjs') : undefined;
  const work = join(tmpdir(), 'onebox-demo-instrumented', `${name}-${release}`);
  mkdirSync(work, { recursive: true });
  const original = source ?? join(work, 'original.mjs');
  if (!source) writeFileSync(original, INLINE[name]);
  const entry = join(work, 'entry.mjs');
  // The web's server-side calls to the API go to the API version their user is on (by the
  // baggage the edge wrote, the API's split in the KeyValueStore: onebox/aws/backend), and
  // are signed: the API's function URLs take signed requests only.
  const signing =
    name === 'web'
      ? `import { signedFetch } from ${JSON.stringify(SIGNED_FETCH)};\n` +
        `import { backendOrigin, keyValueStoreClient, keyValueStoreSplits, routedFetch } from ${JSON.stringify(BACKEND)};\n` +
        `const { DEMO_API_ORIGIN: stableUrl, DEMO_API_CANARY_ORIGIN: canaryUrl, ONEBOX_KVS_ARN: kvsArn } = process.env;\n` +
        `const signed = signedFetch(() => [stableUrl, canaryUrl]);\n` +
        `const readSplit = keyValueStoreSplits(keyValueStoreClient(), kvsArn);\n` +
        `globalThis.fetch = routedFetch(signed, backendOrigin({ stableUrl, canaryUrl, kvsKey: 'api', readSplit }), stableUrl);\n`
      : '';
  writeFileSync(
    entry,
    signing +
      `import { handler as original } from ${JSON.stringify(original)};\n` +
      `import { withVersionMetrics } from ${JSON.stringify(METRICS)};\n` +
      (name === 'web'
        ? `import { withBrowserSignals } from ${JSON.stringify(BROWSER)};\n` +
          `export const handler = withBrowserSignals(withVersionMetrics(original), { component: 'web' });\n`
        : `export const handler = withVersionMetrics(original);\n`),
  );
  const out = buildSync({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // The KeyValueStore client is bundled with its SigV4A signer (the runtime's cannot sign
    // its calls), and CommonJS packages in an ES module need a require.
    banner: { js: "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);" },
    logLevel: 'silent',
  });
  const code = out.outputFiles[0]!.text;
  const dir = join(work, createHash('sha256').update(code).digest('hex').slice(0, 16));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.mjs'), code);
  if (source && existsSync(join(built, 'assets')))
    cpSync(join(built, 'assets'), join(dir, 'assets'), { recursive: true });
  return lambda.Code.fromAsset(dir);
}

export class ServerlessDemoStack extends Stack {
  readonly control: OneboxControlPlane;
  readonly edge: StickyEdge;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const release = String(this.node.tryGetContext('release') ?? 'v1');
    const fn = (name: 'web' | 'api') =>
      new lambda.Function(this, name === 'web' ? 'Web' : 'Api', {
        runtime: lambda.Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: instrumented(name, release),
        memorySize: 512,
        timeout: Duration.seconds(10),
        description: `onebox demo ${name}`,
      });
    const api = fn('api');
    const web = fn('web');
    // Browser signals: the web mints page tokens with the key the edge checks pins with and the beacon reads.
    const pinKey = SecretValue.secretsManager(PIN_KEY_SECRET).unsafeUnwrap();
    web.addEnvironment(PIN_KEY_ENV, pinKey);
    const beacon = new BrowserBeacon(this, 'Beacon', { pinKey });
    this.control = new OneboxControlPlane(this, 'Onebox', {
      components: {
        api: { function: api, route: '/api' },
        // The web's releases are gated on its users' browser errors too (the beacon's lines).
        web: { function: web, route: '/', after: ['api'], browser: beacon },
      },
    });
    const { web: webOrigins, api: apiOrigins } = this.control.origins;
    // The shop's server-side render calls the API alias its user is on (stable or canary, by
    // the API's split: onebox/aws/backend), signed (signed-fetch.ts).
    web.addEnvironment('DEMO_API_ORIGIN', Fn.join('', ['https://', apiOrigins!.stable]));
    web.addEnvironment('DEMO_API_CANARY_ORIGIN', Fn.join('', ['https://', apiOrigins!.canary]));
    web.addEnvironment('ONEBOX_KVS_ARN', this.control.keyValueStore.keyValueStoreArn);
    web.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunctionUrl', 'lambda:InvokeFunction'],
        resources: [`${api.functionArn}:stable`, `${api.functionArn}:canary`],
      }),
    );
    web.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['cloudfront-keyvaluestore:GetKey'],
        resources: [this.control.keyValueStore.keyValueStoreArn],
      }),
    );
    const originAccessControlId = this.control.originAccessControl.originAccessControlId;
    this.edge = new StickyEdge(this, 'Edge', {
      originAccessControlId,
      regularDomainName: webOrigins!.stable,
      oneBoxDomainName: webOrigins!.canary,
      keyValueStore: this.control.keyValueStore,
      kvsKey: 'web',
      pinKeyKvsKey: PIN_KEY_KVS_KEY,
      // The backend is sticky per user too: its own split (key api) and canary origin.
      componentRoutes: [{ prefix: '/api/', kvsKey: 'api', canaryDomainName: apiOrigins!.canary }],
      additionalBehaviors: {
        [beacon.pathPattern]: beacon.behavior(),
        '/api/*': {
          origin: new origins.HttpOrigin(apiOrigins!.stable, {
            protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
            originAccessControlId,
          }),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
    });

    this.control.allowDistribution(this.edge.distribution);

    const ack = (rule: string, reason: string) =>
      Validations.of(this).acknowledge({ id: `AwsSolutions::${rule}`, reason });
    ack(
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "The demo's handlers only write their own logs",
    );
    ack('AwsSolutions-CFR1', 'The demo serves every country');
    ack('AwsSolutions-CFR2', 'No WAF in the demo; add one with edge.distributionProps.webAclId');
    ack('AwsSolutions-CFR3', 'The demo keeps no CloudFront access logs; enable them with edge.distributionProps');
    ack(
      'AwsSolutions-CFR4',
      'The demo uses the default *.cloudfront.net certificate; give a certificate in production',
    );
  }
}
