// The order API, v1.
import { orderApi } from './order-api.mjs';

export const handler = orderApi((body) => ({ orderId: body.orderId, items: body.items ?? [] }));
