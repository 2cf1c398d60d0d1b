import { BAGGAGE_KEY, readBaggageIdentity, writeBaggageIdentity } from '../core/index.js';

/**
 * Where a message comes from, as its baggage says: the user it was made for (`onebox-uid`,
 * the same member HTTP hops carry) and the version that wrote it (`onebox-from`,
 * `<component>:<version>`). A consumer uses the first to process the record with its user's
 * version, the second so that a record written by the old version of a producer that is
 * being released is never handed to the consumer's new version (see decide.ts).
 */

export const FROM_KEY = 'onebox-from';

export interface Writer {
  readonly component: string;
  readonly version: number;
}

export interface Origin {
  /** The user's identity (what the gateway routes by). */
  readonly identity: string;
  /** The version that wrote the message. */
  readonly from?: Writer | undefined;
}

/** What a received message's baggage says (either part may be missing). */
export interface ReadOrigin {
  readonly identity: string | undefined;
  readonly from: Writer | undefined;
}

const keyOf = (member: string): string => {
  const eq = member.indexOf('=');
  return (eq === -1 ? member : member.slice(0, eq)).trim();
};

/** A baggage header with the origin's members set (and `existing`'s other members kept). */
export function originBaggage(origin: Origin, existing?: string): string {
  const withId = writeBaggageIdentity(existing, origin.identity);
  if (!origin.from) return withId;
  const others = withId.split(',').filter((m) => keyOf(m) !== FROM_KEY);
  others.push(`${FROM_KEY}=${encodeURIComponent(`${origin.from.component}:${origin.from.version}`)}`);
  return others.join(',');
}

/** The origin a baggage header carries; parts that are absent or malformed are undefined. */
export function readOrigin(baggage: string | undefined): ReadOrigin {
  return { identity: readBaggageIdentity(baggage), from: readWriter(baggage) };
}

function readWriter(baggage: string | undefined): Writer | undefined {
  if (!baggage || baggage.length > 8192 || !baggage.includes(FROM_KEY)) return undefined;
  const member = baggage.split(',').find((m) => keyOf(m) === FROM_KEY);
  const eq = member?.indexOf('=') ?? -1;
  if (!member || eq === -1) return undefined;
  const semi = member.indexOf(';', eq);
  let value: string;
  try {
    value = decodeURIComponent(member.slice(eq + 1, semi === -1 ? member.length : semi).trim());
  } catch {
    return undefined;
  }
  const colon = value.lastIndexOf(':');
  const version = Number(value.slice(colon + 1));
  if (colon < 1 || !Number.isInteger(version) || version < 1) return undefined;
  return { component: value.slice(0, colon), version };
}

/**
 * The origin of a message a handler sends while serving a request: the identity from the
 * request's baggage (the gateway always sets it), the writer from the handler's own function
 * name and version (Lambda's `context.functionName` / `functionVersion`; onebox's handler host
 * sets both to the component and the version). Undefined when the request carries no identity.
 */
export function originOfRequest(
  headers: Readonly<Record<string, string | undefined>> | undefined,
  context?: { readonly functionName?: string; readonly functionVersion?: string },
): Origin | undefined {
  const baggage = headers?.baggage ?? headers?.Baggage;
  const identity = readBaggageIdentity(baggage);
  if (identity === undefined) return undefined;
  const version = Number(context?.functionVersion);
  const from =
    context?.functionName && Number.isInteger(version) && version > 0
      ? { component: context.functionName, version }
      : undefined;
  return { identity, from };
}

export { BAGGAGE_KEY };
