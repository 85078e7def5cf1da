// In-process serialisation per conversation. The delivery queue already runs one job at a time
// per conversation; this lock also covers callers that run deliverMessage directly (tests, a
// second in-process caller) so two concurrent first messages can never create two thread roots.

const tails = new Map<string, Promise<unknown>>();

export async function withConversationLock<T>(conversationId: string, fn: () => Promise<T>): Promise<T> {
  const previous = tails.get(conversationId) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  // The tail never rejects, so one failed delivery does not poison the next one.
  const tail = run.catch(() => undefined);
  tails.set(conversationId, tail);
  try {
    return await run;
  } finally {
    if (tails.get(conversationId) === tail) tails.delete(conversationId);
  }
}
