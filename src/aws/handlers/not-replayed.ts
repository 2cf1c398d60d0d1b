import { HOP_BY_HOP } from '../../core/hop-by-hop.js';

/** Request headers a replayed copy does not carry: the connection's own, and what fetch sets itself. */
export const NOT_REPLAYED: ReadonlySet<string> = new Set([...HOP_BY_HOP, 'host', 'content-length']);
