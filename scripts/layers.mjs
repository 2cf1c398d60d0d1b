// The layer graph of src/ (README, "Layout"): the folders each folder may import. A folder
// that is not in a layer's list is off limits to it. eslint.config.js turns this table into
// `no-restricted-imports` rules; test/lint/layers.test.ts checks the table has no cycle and
// that a planted import against it fails the lint.
//
// Dependencies point inward: cli -> api; engine -> controller, gateway, admin -> store,
// metrics -> core. `tools` (the simulator, the demo, the sample) may use all of the product,
// and only the CLI, which starts them, imports tools.
export const LAYERS = {
  core: [],
  api: ['core'],
  config: ['core', 'api'],
  controller: ['core', 'api'],
  runtime: ['core'],
  store: ['core', 'api', 'controller'],
  metrics: ['core', 'api', 'controller'],
  gateway: ['core', 'api', 'config', 'metrics', 'runtime'],
  admin: ['core', 'api'],
  // Routing that follows events: the producer's helpers (core only) and the local consumer over the gateway's snapshot.
  events: ['core', 'gateway', 'runtime'],
  engine: ['core', 'api', 'config', 'controller', 'runtime', 'store', 'metrics', 'gateway', 'admin', 'events'],
  // The AWS engine: the same decisions and controller, with its own ports (DynamoDB, KVS, CloudWatch).
  // gateway: the browser signals' own code only (page-token, beacon-script, html-inject), so a
  // Lambda app mints, injects and reads exactly what the local gateway does.
  aws: ['core', 'api', 'controller', 'events', 'gateway'],
  // OpenFeature providers: the server's decides with core over the admin API's answers; the web's asks the gateway.
  openfeature: ['core', 'api'],
  tools: ['core', 'api', 'config', 'controller', 'runtime', 'store', 'metrics', 'gateway', 'admin', 'engine', 'events'],
  cli: ['core', 'api', 'config', 'engine', 'tools'],
};

/** Besides: core is pure (no node: module, no library), and src/index.ts may not reach tools or the CLI. */
export const PURE = ['core'];

/** How deep files sit below a layer's folder (src/<layer>/a/b/c/file.ts is depth 4). */
const MAX_DEPTH = 5;

/**
 * One ESLint config per layer and depth: a file at depth d reaches src/ with exactly d `../`,
 * so `^(\.\./){d}<folder>/` names the folder an import goes into, whatever the file's place.
 */
export function layerRules() {
  const names = Object.keys(LAYERS);
  const configs = [];
  for (const [layer, allowed] of Object.entries(LAYERS)) {
    const forbidden = names.filter((n) => n !== layer && !allowed.includes(n));
    for (let depth = 1; depth <= MAX_DEPTH; depth++) {
      const patterns = [];
      if (forbidden.length)
        patterns.push({
          regex: `^(\\.\\./){${depth}}(${forbidden.join('|')})(/|$)`,
          message: `src/${layer} may import only ${allowed.length ? allowed.join(', ') : 'nothing else of onebox'} (scripts/layers.mjs)`,
        });
      if (PURE.includes(layer))
        patterns.push({
          regex: '^(node:|[a-z@])',
          message: `src/${layer} is pure: no node: module and no library (scripts/layers.mjs)`,
        });
      configs.push({
        files: [`src/${layer}/${'*/'.repeat(depth - 1)}*.ts`],
        rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
      });
    }
  }
  configs.push({
    files: ['src/index.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [{ regex: '^\\./(tools|cli)(/|$)', message: "the package's entry point exports the product only" }],
        },
      ],
    },
  });
  return configs;
}
