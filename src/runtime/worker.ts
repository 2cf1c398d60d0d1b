/**
 * The process that hosts one version's handler (forked by HandlerPool): imports the module
 * named on the command line (`<file> <exportName>`), says `ready` (or `init-error`), then
 * answers each `invoke` with the handler's result serialized as JSON, as Lambda's Node.js
 * runtime does. A handler may be async or take a callback (event, context, callback).
 */
import { pathToFileURL } from 'node:url';
import type { HandlerErrorData, InvocationContextData, ParentMessage, WorkerMessage } from './protocol.js';

type Handler = (event: unknown, context: unknown, callback?: (err: unknown, result?: unknown) => void) => unknown;

function send(message: WorkerMessage): void {
  process.send?.(message);
}

function errorData(err: unknown): HandlerErrorData {
  if (err instanceof Error) {
    return { errorType: err.name, errorMessage: err.message, stack: (err.stack ?? '').split('\n') };
  }
  return { errorType: typeof err, errorMessage: String(err) };
}

async function loadHandler(file: string, exportName: string): Promise<Handler> {
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  // A CommonJS module's exports are also under `default` (named ones only when node can see them).
  const fromDefault = mod.default as Record<string, unknown> | undefined;
  const candidate =
    mod[exportName] ??
    (fromDefault && typeof fromDefault === 'object' ? fromDefault[exportName] : undefined) ??
    (exportName === 'default' ? fromDefault : undefined);
  if (typeof candidate !== 'function') {
    const e = new Error(`${file} does not export a function named ${exportName}`);
    e.name = 'Runtime.HandlerNotFound';
    throw e;
  }
  return candidate as Handler;
}

function contextOf(data: InvocationContextData): Record<string, unknown> {
  return {
    functionName: data.functionName,
    functionVersion: data.functionVersion,
    invokedFunctionArn: data.invokedFunctionArn,
    memoryLimitInMB: data.memoryLimitInMB,
    awsRequestId: data.awsRequestId,
    logGroupName: `/aws/lambda/${data.functionName}`,
    logStreamName: `onebox/${data.functionVersion}/${process.pid}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: (): number => Math.max(0, data.deadline - Date.now()),
  };
}

function call(handler: Handler, event: unknown, context: unknown): Promise<unknown> {
  if (handler.length >= 3) {
    return new Promise((resolve, reject) => {
      const maybe = handler(event, context, (err, result) => (err ? reject(err) : resolve(result)));
      if (maybe && typeof (maybe as Promise<unknown>).then === 'function')
        (maybe as Promise<unknown>).then(resolve, reject);
    });
  }
  return Promise.resolve().then(() => handler(event, context));
}

async function main(): Promise<void> {
  const [file, exportName = 'handler'] = process.argv.slice(2);
  let handler: Handler;
  try {
    if (!file) throw new Error('worker: no handler file given');
    handler = await loadHandler(file, exportName);
  } catch (err) {
    // Exit only once the message is out.
    process.send?.({ type: 'init-error', error: errorData(err) } satisfies WorkerMessage, () => process.exit(1));
    return;
  }
  process.on('message', (message: ParentMessage) => {
    if (message.type !== 'invoke') return;
    call(handler, message.event, contextOf(message.context)).then(
      (result) => {
        let payload: string;
        try {
          payload = JSON.stringify(result === undefined ? null : result) ?? 'null';
        } catch (err) {
          send({ type: 'error', id: message.id, error: errorData(err) });
          return;
        }
        send({ type: 'result', id: message.id, payload });
      },
      (err: unknown) => send({ type: 'error', id: message.id, error: errorData(err) }),
    );
  });
  // The pool ends this process by disconnecting or killing it.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}

void main();
