/**
 * `import { OneboxWebProvider } from 'onebox/openfeature/web'`: onebox as an OpenFeature
 * provider for @openfeature/web-sdk, asking the gateway for the browser's own assignment.
 */
export { OneboxWebProvider, type OneboxWebProviderOptions } from './web-provider.js';
