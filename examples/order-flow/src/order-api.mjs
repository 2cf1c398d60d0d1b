/* global fetch */
// What both versions of the order API do around placing an order: publish order_placed to
// the queue with the user's identity (and the writing version) in the message's baggage.
import { originOfRequest, sqsMessage } from 'onebox/events';

export function orderApi(placeOrder) {
  return async function handler(event, context) {
    const order = placeOrder(JSON.parse(event.body ?? '{}'));
    const message = { MessageBody: JSON.stringify({ type: 'order_placed', order }) };
    const origin = originOfRequest(event.headers, context);
    // On AWS: new SQSClient().send(new SendMessageCommand({ QueueUrl, ...message })).
    const res = await fetch(process.env.ORDER_QUEUE_URL, {
      method: 'POST',
      body: JSON.stringify(origin ? sqsMessage(message, origin) : message),
    });
    if (!res.ok) return { statusCode: 502, body: JSON.stringify({ error: 'queue_unavailable' }) };
    return { statusCode: 201, body: JSON.stringify({ orderId: order.orderId, version: context.functionVersion }) };
  };
}
