import type { OneboxConfig } from '../../config/schema.js';
import type { RoutingState, WorkerReport } from './routing-state.js';

/** Primary → gateway worker. */
export type ToWorker =
  | {
      readonly type: 'start';
      readonly config: OneboxConfig;
      readonly state: RoutingState;
      /** How often the worker reports what it recorded, ms. */
      readonly reportMs: number;
      readonly handlerOutput: 'inherit' | 'ignore';
      /** The page tokens' key (base64), the same in every worker: a page's beacon may reach any of them. */
      readonly browserKey: string;
    }
  | { readonly type: 'routing'; readonly state: RoutingState }
  /** Stop serving, send the last report, exit. */
  | { readonly type: 'stop' };

/** Gateway worker → primary. */
export type FromWorker =
  /** Listening for messages: an ES module loads after the IPC channel opens, and earlier messages are lost. */
  | { readonly type: 'waiting' }
  | { readonly type: 'ready'; readonly host: string; readonly port: number }
  | { readonly type: 'report'; readonly report: WorkerReport }
  | { readonly type: 'failed'; readonly message: string };
