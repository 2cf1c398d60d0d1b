export * from './json-diff.js';
export * from './endpoint.js';
export * from './noise.js';
export * from './defaults.js';
