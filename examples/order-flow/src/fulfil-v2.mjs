// Fulfilment v2: books the courier for the order's delivery window, a field only the order
// API's v2 writes. An order without it cannot be fulfilled: the record fails.
export async function handler(event) {
  const failed = event.Records.filter((r) => typeof JSON.parse(r.body).order?.deliveryWindow !== 'string');
  return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.messageId })) };
}
