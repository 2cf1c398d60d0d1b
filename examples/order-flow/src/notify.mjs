// Notifications (user_notified), the other order_placed subscriber: its versions differ only
// in their wording (WORDING), and every version reads any order.
export async function handler(event) {
  const failed = event.Records.filter((r) => !JSON.parse(r.body).order?.orderId);
  return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.messageId })), wording: process.env.WORDING };
}
