/**
 * Hop-by-hop headers (RFC 9110 7.6.1), shared with the handler runtime; the gateway also
 * sets the X-Forwarded-* headers and `baggage` itself.
 */
export { connectionTokens, HOP_BY_HOP } from '../core/hop-by-hop.js';
