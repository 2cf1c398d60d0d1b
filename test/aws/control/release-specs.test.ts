import { describe, expect, it } from 'vitest';
import { awsReleaseSpecs } from '../../../src/aws/control/release-specs.js';
import { controllerSettings } from '../../../src/aws/control/requests.js';
import { EMPTY_STATE } from '../../../src/aws/control/state.js';
import { parseDeploymentSpec, RECIPES } from '../../../src/core/index.js';

/** How the controller resolves a release's settings: the event, the recipe, what the CDK app configured, the function's settings. */
const { components } = controllerSettings.parse({
  table: 't',
  kvsArn: 'arn',
  components: {
    api: { functionName: 'shop-api', route: '/api' },
    web: { functionName: 'shop-web', route: '/', after: ['api'] },
  },
});

describe('a release on AWS, resolved as locally', () => {
  it('the prod-one-box recipe: backends linear, the frontend routed at / one-box after them', () => {
    const specs = awsReleaseSpecs(
      {
        action: 'release',
        by: 'alice',
        recipe: 'prod-one-box',
        components: [
          { component: 'web', version: 3 },
          { component: 'api', version: 4 },
        ],
      },
      components,
      EMPTY_STATE,
    );
    expect(specs.map((s) => [s.component, s.config, s.after])).toEqual([
      ['web', parseDeploymentSpec(RECIPES['prod-one-box'].frontend), ['api']],
      ['api', parseDeploymentSpec(RECIPES['prod-one-box'].backend), []],
    ]);
  });

  it("the event's config and alarms win over the recipe and the configured ones", () => {
    const state = {
      ...EMPTY_STATE,
      configured: { api: { config: 'onebox:5%:10m', onInconclusive: 'rollback' as const } },
    };
    const [api] = awsReleaseSpecs(
      { action: 'release', by: 'alice', components: [{ component: 'api', version: 4, alarms: { maxP99Ms: 300 } }] },
      components,
      state,
    );
    expect(api).toMatchObject({
      config: parseDeploymentSpec('onebox:5%:10m'),
      onInconclusive: 'rollback',
      alarms: { maxErrorRate: 0.02, minRequests: 100, maxP99Ms: 300 },
    });
    const [own] = awsReleaseSpecs(
      {
        action: 'release',
        by: 'alice',
        recipe: 'prod-one-box',
        components: [{ component: 'web', version: 3, config: 'canary:10%:5m' }],
      },
      components,
      state,
    );
    expect(own!.config).toEqual(parseDeploymentSpec('canary:10%:5m'));
  });
});
