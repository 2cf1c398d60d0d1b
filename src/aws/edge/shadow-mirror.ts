import type { CloudFrontRequest, CloudFrontRequestEvent } from 'aws-lambda';
import { shadowCopyOf, type ShadowCopySettings } from './shadow-copy.js';

export interface ShadowMirrorSettings extends ShadowCopySettings {
  /** Origin custom header that carries the worker function's ARN (removed before the origin sees it). */
  readonly targetHeader: string;
  /** Longest the viewer's request waits for the hand-over to be accepted, ms. */
  readonly handOverBudgetMs: number;
}

export interface MirrorDeps {
  /** Queues the copy for the worker (Lambda Invoke, InvocationType Event). */
  readonly handOver: (workerArn: string, payload: string) => Promise<void>;
  readonly log: (line: string) => void;
}

const later = (ms: number): { promise: Promise<'budget'>; cancel: () => void } => {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<'budget'>((resolve) => {
    timer = setTimeout(() => resolve('budget'), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
};

/**
 * Origin request (Lambda@Edge, cache misses): hands a copy of the request to the shadow
 * worker and lets the request go on. The viewer waits at most for the hand-over to be
 * accepted (an asynchronous invocation answers 202 as soon as it is queued), never for the
 * shadow origin; past the budget the request goes on and the copy is left to finish or be
 * lost, which is logged. Nothing here can fail the viewer's request.
 */
export function createShadowMirror(settings: ShadowMirrorSettings, deps: MirrorDeps) {
  return async (event: CloudFrontRequestEvent): Promise<CloudFrontRequest> => {
    const request = event.Records[0]!.cf.request;
    try {
      const custom = request.origin?.custom?.customHeaders;
      const target = custom?.[settings.targetHeader]?.[0]?.value;
      if (custom) delete custom[settings.targetHeader];
      if (!target) {
        deps.log(`onebox-shadow: no ${settings.targetHeader} on this origin: not mirrored`);
        return request;
      }
      const copy = shadowCopyOf(request, settings);
      if (typeof copy === 'string') {
        if (copy !== 'method' && copy !== 'share') deps.log(`onebox-shadow: skipped (${copy}) ${request.uri}`);
        return request;
      }
      const budget = later(settings.handOverBudgetMs);
      const handed = deps.handOver(target, JSON.stringify(copy)).then(
        () => 'queued' as const,
        (err: unknown) => {
          deps.log(`onebox-shadow: hand-over failed: ${String(err)}`);
          return 'failed' as const;
        },
      );
      const outcome = await Promise.race([handed, budget.promise]);
      budget.cancel();
      if (outcome === 'budget')
        deps.log(`onebox-shadow: hand-over over ${settings.handOverBudgetMs}ms budget, not waited for`);
    } catch (err) {
      deps.log(`onebox-shadow: request not mirrored: ${String(err)}`);
    }
    return request;
  };
}
