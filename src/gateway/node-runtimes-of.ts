import { ConfigError } from '../config/load.js';
import type { OneboxConfig } from '../config/schema.js';
import { NodeRuntimes } from '../runtime/node-runtimes.js';

/** The config's `runtimes`, checked (each binary run once): a wrong one is a config error, said as such. */
export function nodeRuntimesOf(config: Pick<OneboxConfig, 'runtimes'>): NodeRuntimes {
  try {
    return new NodeRuntimes(config.runtimes);
  } catch (err) {
    throw new ConfigError('runtimes', [(err as Error).message]);
  }
}
