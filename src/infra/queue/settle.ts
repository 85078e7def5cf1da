// BullMQ queues and workers start initialising their Redis connection as soon as they are
// constructed. Closing one before that settles leaves a rejected promise nobody handles once the
// shared connection quits (an unhandled rejection, which ends a Node process). So: let the
// initialisation settle first, but never wait long on a Redis that does not answer.

const SETTLE_MS = 1_000;

export async function closeSettled(part: { waitUntilReady(): Promise<unknown>; close(): Promise<void> }): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, SETTLE_MS);
    timer.unref();
  });
  await Promise.race([part.waitUntilReady().catch(() => undefined), timeout]);
  clearTimeout(timer);
  await part.close();
}
