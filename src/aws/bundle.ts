import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, type BuildOptions } from 'esbuild';
import { Token } from 'aws-cdk-lib';

/**
 * esbuild bundles the edge and handler code at synth time from this package's own files
 * (TypeScript in the repo, the compiled JavaScript once installed), so the edge runs the
 * same core code as the local gateway.
 */
const HERE = fileURLToPath(new URL('.', import.meta.url));
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** Path of a bundle entry under src/aws (or dist/aws), e.g. `edge/viewer-request.cff`, or an absolute one (no extension). */
export function entryPath(name: string): string {
  return isAbsolute(name) ? name + EXT : join(HERE, name + EXT);
}

/** CloudFront Functions' size limit for function code. */
export const CLOUDFRONT_FUNCTION_MAX_BYTES = 10 * 1024;

/** The first line of a function that uses KeyValueStore or origin modification, as AWS requires. */
export const CLOUDFRONT_IMPORT = "import cf from 'cloudfront';";

/** The runtime's crypto module (createHmac), imported only by a function that uses it: the page pin's check. */
export const CRYPTO_IMPORT = "import crypto from 'crypto';";

/**
 * JavaScript runtime 2.0 is ES 5.1 plus these (AWS: "JavaScript runtime 2.0 features for
 * CloudFront Functions"). esbuild lowers what it can (optional chaining, `??`, object
 * shorthand) and fails the build on what it cannot (for-of, destructuring, classes), so code
 * the runtime would reject never reaches a template.
 */
const CLOUDFRONT_FUNCTIONS_SYNTAX: BuildOptions['supported'] = {
  arrow: true,
  'const-and-let': true,
  'template-literal': true,
  'rest-argument': true,
  'async-await': true,
  'exponent-operator': true,
};

const bodies = new Map<string, string>();

/**
 * The bundled body of a CloudFront Function entry: top-level declarations ending in a
 * `handler` function, with no import or export left (CloudFront runs a script).
 */
export function cloudFrontFunctionBody(entry: string): string {
  let body = bodies.get(entry);
  if (body !== undefined) return body;
  const result = buildSync({
    entryPoints: [entryPath(entry)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es5',
    supported: CLOUDFRONT_FUNCTIONS_SYNTAX,
    // Whitespace and syntax only: identifiers keep their names (the runtime calls `handler`),
    // and the code stays well under the 10 KB limit as core grows.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  });
  const text = result.outputFiles[0]!.text;
  const exported = /export\s*\{\s*handler\s*\};?\s*$/;
  if (!exported.test(text)) throw new Error(`bundle of ${entry} does not end by exporting handler`);
  body = text.replace(exported, '\n');
  if (/^\s*(import|export)\s/m.test(body)) throw new Error(`bundle of ${entry} still imports or exports`);
  bodies.set(entry, body);
  return body;
}

/**
 * A CloudFront Function's code: the `cloudfront` import, the settings, the body. Settings
 * may hold CDK tokens (a KeyValueStore id, an origin's domain): CloudFormation fills them in.
 */
export function cloudFrontFunctionCode(entry: string, settings: object): string {
  const body = cloudFrontFunctionBody(entry);
  const imports = /\.createHmac\(/.test(body) ? `${CLOUDFRONT_IMPORT}\n${CRYPTO_IMPORT}` : CLOUDFRONT_IMPORT;
  return `${imports}\nconst ONEBOX_SETTINGS = ${JSON.stringify(settings)};\n${body}`;
}

export interface LambdaBundleOptions {
  /** Directory to write index.mjs to. Default: a folder under the OS temp dir named by content hash. */
  readonly outDir?: string;
  /**
   * AWS SDK packages the bundle carries itself, with everything they import, instead of
   * taking them from the Lambda runtime (e.g. KVS_SDK_PACKAGES, whose signer
   * must register with the client's own copy of `@smithy/signature-v4`). Default none.
   */
  readonly bundledSdk?: readonly string[];
}

/** What a bundle that signs KeyValueStore calls (kvs-client.ts) carries itself. */
export const KVS_SDK_PACKAGES = ['@aws-sdk/client-cloudfront-keyvaluestore', '@aws-sdk/signature-v4a'] as const;

/**
 * The `@aws-sdk/*` packages the entry's own code imports, to leave to the runtime: all but
 * `bundled`. (A pattern cannot say "all but", and buildSync takes no plugins, so a first
 * build with every SDK package external lists them.)
 */
function runtimeSdk(build: BuildOptions, bundled: readonly string[]): string[] {
  const probe = buildSync({ ...build, external: ['@aws-sdk/*'], metafile: true });
  const imported = Object.values(probe.metafile.outputs).flatMap((o) =>
    o.imports.filter((i) => i.external).map((i) => i.path.split('/').slice(0, 2).join('/')),
  );
  return [...new Set(imported)].filter((p) => p.startsWith('@aws-sdk/') && !bundled.includes(p));
}

/**
 * Bundles a Lambda handler entry to a folder with index.mjs (handler `index.handler`).
 * Settings are written into the code: Lambda@Edge has no environment variables, so they
 * must be known at synth time (no CDK tokens). The AWS SDK v3 is left to the Node.js
 * runtime, which ships it, but for `bundledSdk`.
 */
export function bundleLambda(entry: string, settings: object, options: LambdaBundleOptions = {}): string {
  const json = JSON.stringify(settings);
  if (Token.isUnresolved(json)) {
    throw new Error(
      `settings of ${entry} hold a deploy-time value (${json}); Lambda code needs values known at synth time`,
    );
  }
  const build: BuildOptions & { write: false } = {
    entryPoints: [entryPath(entry)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // `require` for the CommonJS packages in the bundle (the AWS SDK's): an ES module has none.
    banner: {
      js: `import { createRequire as oneboxCreateRequire } from 'node:module';\nconst require = oneboxCreateRequire(import.meta.url);\nconst ONEBOX_SETTINGS = ${json};`,
    },
    legalComments: 'none',
    logLevel: 'silent',
  };
  const bundled = options.bundledSdk ?? [];
  let result;
  try {
    result = buildSync({ ...build, external: bundled.length ? runtimeSdk(build, bundled) : ['@aws-sdk/*'] });
  } catch (err) {
    const missing = bundled.filter((p) => String(err).includes(`"${p}"`));
    if (missing.length === 0) throw err;
    throw new Error(
      `${entry} bundles ${missing.join(' and ')}, which cannot be found: npm install ${missing.join(' ')} (they sign its KeyValueStore calls)`,
    );
  }
  const code = result.outputFiles[0]!.text;
  const dir =
    options.outDir ??
    join(
      tmpdir(),
      'onebox-bundles',
      `${entry.replace(/\W+/g, '-')}-${createHash('sha256').update(code).digest('hex').slice(0, 16)}`,
    );
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.mjs'), code);
  return dir;
}
