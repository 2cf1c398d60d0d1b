import { chooseVersion, conflict, invalid, LIVE_ALIAS, parseTarget } from '../../core/index.js';
import type { InvokeResult } from '../../api/index.js';
import type { HandlerPool } from '../../runtime/handler-pool.js';
import type { StateStore } from '../../store/state-store.js';

export interface InvokeDeps {
  readonly store: StateStore;
  readonly handlers: HandlerPool;
  /** Random draw in [0, 1): the live alias picks a version per invocation by its weights. */
  readonly draw: () => number;
}

/** `aws lambda invoke` for handler versions. */
export class InvokeService {
  constructor(private readonly deps: InvokeDeps) {}

  /**
   * Invokes a handler version directly: `qualifier` is a version number or the alias
   * (`live`, default), which picks a version per invocation by its weights, as Lambda does.
   */
  async invoke(component: string, qualifier: string, payload: unknown): Promise<InvokeResult> {
    const { store, handlers } = this.deps;
    let number: number;
    if (/^[1-9]\d*$/.test(qualifier)) number = Number(qualifier);
    else if (qualifier === LIVE_ALIAS) {
      store.listVersions(component); // validates the component name
      const alias = store.getAlias(component);
      if (!alias) throw conflict(`${component} has no live version yet`);
      number = chooseVersion({ ...alias, mode: 'request' }, undefined, this.deps.draw).version;
    } else throw invalid(`qualifier must be a version number or "${LIVE_ALIAS}", got "${qualifier}"`);
    const v = store.getVersion(component, number);
    if (v.retiredAt) throw conflict(`${component} version ${number} is retired`);
    const target = parseTarget(v.target);
    if (target.kind !== 'handler') throw conflict(`${component} version ${number} is an HTTP upstream, not a handler`);
    const r = await handlers.invoke(
      {
        functionName: component,
        version: number,
        handler: target.handler,
        timeoutMs: target.timeoutMs,
        env: target.env,
        runtime: target.runtime,
      },
      payload,
      { qualifier },
    );
    const functionError = r.outcome === 'success' ? undefined : 'Unhandled';
    const body =
      r.outcome === 'success'
        ? r.payload
        : (r.error ?? {
            errorType: r.outcome,
            errorMessage:
              r.outcome === 'timeout'
                ? `Task timed out after ${target.timeoutMs} ms`
                : `the handler's process ${r.outcome}`,
          });
    return {
      statusCode: 200,
      executedVersion: r.executedVersion,
      functionError,
      payload: body,
      coldStart: r.coldStart,
      durationMs: r.durationMs,
    };
  }
}
