// Webhook acks share the event loop with deliveries, and an ack may only be sent once its message
// is stored. Delivery work arrives in bursts: one Redis reply batch or a handful of Slack answers
// resolve many turns' promises in the same tick, and their continuations (store reads, building
// Slack requests) then run back to back as microtasks while incoming webhooks wait for the next
// poll phase. The gate lets ONE waiting delivery step go per loop turn (setImmediate, after the
// poll phase): between two steps the loop always reads the sockets, so a webhook waits behind one
// delivery step at most, not behind a burst. Nothing is slowed when nothing else is waiting: an
// idle loop turns in microseconds.
export function yieldGate(): () => Promise<void> {
  const waiting: Array<() => void> = [];
  let scheduled = false;
  const release = (): void => {
    waiting.shift()?.();
    if (waiting.length > 0) setImmediate(release);
    else scheduled = false;
  };
  return () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (!scheduled) {
        scheduled = true;
        setImmediate(release);
      }
    });
}
