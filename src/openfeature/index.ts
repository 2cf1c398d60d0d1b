/**
 * `import { OneboxProvider } from 'onebox/openfeature'`: onebox as an OpenFeature provider
 * for @openfeature/server-sdk. The browser's is `onebox/openfeature/web`.
 */
export { OneboxProvider, type OneboxProviderOptions } from './server-provider.js';
export { type Assignment } from './resolution.js';
