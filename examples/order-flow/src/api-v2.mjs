// The order API, v2: the new feature records the delivery window in order_placed, which
// fulfilment v2 cannot work without (seed 003's example).
import { orderApi } from './order-api.mjs';

export const handler = orderApi((body) => ({
  orderId: body.orderId,
  items: body.items ?? [],
  deliveryWindow: body.deliveryWindow ?? 'any',
}));
