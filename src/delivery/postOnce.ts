// One chat post per intent, across crashes. Chat platforms have no idempotency key: a post whose
// call completed just before the process died (kill -9), or whose answer was lost (a timeout after
// the platform took it), but whose record never committed, would be posted again by the retry.
//
// So delivery records the intent first (store.postIntents, committed before the call). An attempt
// that finds an intent from an earlier attempt, and no recorded post (the caller checked that),
// asks the platform for its own post first, when the platform can (OwnPostFinder: Slack finds it by
// the bridge's metadata on it). Found: that post is the result and nothing is posted. Not found, or
// the platform cannot look: it posts. The caller records the post and then ends the intent.

import { PlatformError } from '../core/errors.js';
import type { PostIntentKey, Store } from '../core/ports.js';
import type { ChatLogger } from './logger.js';

export interface OnceResult<T> {
  value: T;
  /** True when an earlier attempt's post was found on the platform (nothing was posted now). */
  found: boolean;
}

/**
 * Makes the platform call `call` for `key` unless `find` (given the first attempt's start time)
 * finds what an earlier attempt made. `find` is null when the platform cannot look.
 */
export async function callOnce<T>(
  store: Pick<Store, 'postIntents'>,
  key: PostIntentKey,
  find: ((since: string) => Promise<T | null>) | null,
  call: () => Promise<T>,
  log: ChatLogger,
): Promise<OnceResult<T>> {
  const { startedAt, earlier } = await store.postIntents.begin(key);
  if (earlier && find) {
    const found = await lookUp(find, startedAt, key, log);
    if (found !== null) {
      log.info({ ...key, since: startedAt }, 'delivery: found the post of an earlier attempt; not posting it again');
      return { value: found, found: true };
    }
  }
  try {
    return { value: await call(), found: false };
  } catch (err) {
    // The platform said no (a refusal, or 429 with Retry-After): nothing was posted, so the next
    // attempt need not look. A timeout or 5xx may have posted: the intent stays.
    if (surelyNotPosted(err)) await store.postIntents.end(key);
    throw err;
  }
}

/** A retryable lookup failure waits for the retry; any other one is logged and we post. */
async function lookUp<T>(find: (since: string) => Promise<T | null>, since: string, key: PostIntentKey, log: ChatLogger): Promise<T | null> {
  try {
    return await find(since);
  } catch (err) {
    if (err instanceof PlatformError && err.retryable) throw err;
    // Posting once more is better than not at all (e.g. the app lost its history scope).
    log.warn({ ...key, err: err instanceof Error ? err.message : String(err) }, 'delivery: could not look for an earlier post; posting');
    return null;
  }
}

function surelyNotPosted(err: unknown): boolean {
  return err instanceof PlatformError && (!err.retryable || err.retryAfterMs !== null);
}
