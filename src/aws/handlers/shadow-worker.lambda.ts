/** Entry of the shadow worker bundle: a regional Lambda, configured by its environment. */
import { createShadowWorker } from './shadow-worker.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
};

export const handler = createShadowWorker({
  shadowUrl: env('ONEBOX_SHADOW_URL'),
  timeoutMs: Number(env('ONEBOX_SHADOW_TIMEOUT_MS')),
  name: env('ONEBOX_SHADOW_NAME'),
  namespace: env('ONEBOX_METRICS_NAMESPACE'),
});
