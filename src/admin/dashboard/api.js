// The admin API as the dashboard uses it. The token lives in sessionStorage (this tab only,
// gone when it closes) and travels in the Authorization header only, never in a URL.
import { createParser } from './vendor/eventsource-parser.js';

const KEY = 'onebox-admin-token';

export const session = {
  /** @returns {string | null} */
  get token() {
    return sessionStorage.getItem(KEY);
  },
  /** @param {string} token */
  save(token) {
    sessionStorage.setItem(KEY, token);
  },
  clear() {
    sessionStorage.removeItem(KEY);
  },
};

/** The API refused the token: the dashboard goes back to its sign-in form. */
export class Unauthorized extends Error {}

/** An API answer with an error code and a sentence. */
export class ApiError extends Error {}

/**
 * @param {string} method
 * @param {string} path
 * @param {string} [token]
 * @returns {Promise<any>}
 */
export async function call(method, path, token = session.token ?? '') {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    cache: 'no-store',
  });
  if (res.status === 401) throw new Unauthorized('the admin API refused this token');
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(body?.error?.message ?? `the admin API answered ${res.status}`);
  return body;
}

/**
 * Reads GET /v1/events (Server-Sent Events) with fetch, since EventSource cannot send an
 * Authorization header. Resolves when the server ends the stream; rejects on errors.
 * @param {(event: string, data: any) => void} onEvent
 * @param {AbortSignal} signal
 */
export async function readEvents(onEvent, signal) {
  const res = await fetch('/v1/events', {
    headers: { authorization: `Bearer ${session.token ?? ''}`, accept: 'text/event-stream' },
    cache: 'no-store',
    signal,
  });
  if (res.status === 401) throw new Unauthorized('the admin API refused this token');
  if (!res.ok || !res.body) throw new ApiError(`the event stream answered ${res.status}`);
  const parser = createParser({ onEvent: (m) => onEvent(m.event ?? 'message', JSON.parse(m.data)) });
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    parser.feed(value);
  }
}
