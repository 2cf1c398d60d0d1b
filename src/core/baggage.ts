/**
 * W3C baggage (https://www.w3.org/TR/baggage/): read and write the `onebox-uid` member so
 * every hop of a call chain reaches the same routing decision. Other members are kept
 * as they are. A header over the spec's size limit is not read.
 */

export const BAGGAGE_KEY = 'onebox-uid';

/** The spec's limit on a baggage header. */
const MAX_BAGGAGE_BYTES = 8192;

function keyOf(member: string): string {
  const eq = member.indexOf('=');
  return (eq === -1 ? member : member.slice(0, eq)).trim();
}

/** The decoded onebox-uid value, or undefined when absent or malformed. */
export function readBaggageIdentity(header: string | undefined): string | undefined {
  if (!header || header.length > MAX_BAGGAGE_BYTES || header.indexOf(BAGGAGE_KEY) === -1) return undefined;
  // An index loop, not for-of: CloudFront Functions run this too and lack for-of.
  const members = header.split(',');
  for (let i = 0; i < members.length; i++) {
    const member = members[i]!;
    if (keyOf(member) !== BAGGAGE_KEY) continue;
    const eq = member.indexOf('=');
    if (eq === -1) return undefined;
    const semi = member.indexOf(';', eq);
    const raw = member.slice(eq + 1, semi === -1 ? member.length : semi).trim();
    try {
      const value = decodeURIComponent(raw);
      return value.length > 0 ? value : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The header with onebox-uid set to `identity` and every other member unchanged. */
export function writeBaggageIdentity(header: string | undefined, identity: string): string {
  const ours = `${BAGGAGE_KEY}=${encodeURIComponent(identity)}`;
  if (!header || header.trim() === '') return ours;
  const others = header.split(',').filter((member) => member.trim() !== '' && keyOf(member) !== BAGGAGE_KEY);
  others.push(ours);
  return others.join(',');
}
