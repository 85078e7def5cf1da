// Which open chat inbox events this instance replays, with several instances on one store.
// Each stored event names its owner (the liveness owner "<name>~<nonce>" of the instance that
// accepted or took it over). An instance replays:
//  - events whose owner is not alive: another instance died (or this one's previous life: a
//    restart writes a new nonce, so the old owner is dead at once). Each is claimed first with one
//    conditional UPDATE on the owner read, so of several survivors exactly one replays it;
//  - its own events whose handling failed, once they are `minAgeMs` old.
// Never an event this process is handling right now: `busy` holds those ids (the listener's and
// the replays'), and an id is added before the claim, checked and added in one synchronous step.
import type { ChatInboxRepo, InboxEvent } from '../../../src/infra/store/index.js';
import type { PlatformId } from '../../../src/core/types.js';

/** Alive or not, per liveness owner (src/infra/queue/liveness.ts Liveness.alive). */
export type AliveCheck = (owners: string[]) => Promise<Map<string, boolean>>;

export interface InboxTakeoverDeps {
  inbox: ChatInboxRepo;
  platform: PlatformId;
  /** This process (liveness owner). */
  owner: string;
  alive: AliveCheck;
  /** Event ids this process is handling (or about to); shared with the live listener. */
  busy: Set<string>;
  now: () => number;
  /**
   * Runs with a claim, in the claim's transaction: a replayed reply takes back its place in its
   * conversation's order (kept by the inbox, see src/core/placeKeeper.ts).
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  onClaimed(event: InboxEvent): Promise<void>;
  /** A claim that failed after others succeeded (those are still returned). */
  onError?(err: unknown): void;
}

/**
 * Claims the events this process should replay now (see the header), oldest first. Every event
 * returned is in `busy`: the caller handles it and then removes it.
 */
export async function takeOverOpenEvents(
  deps: InboxTakeoverDeps,
  opts: { minAgeMs?: number; /** Own failed events too (default true). */ mine?: boolean } = {},
): Promise<InboxEvent[]> {
  const open = await deps.inbox.listOpen(deps.platform);
  const others = open.filter((e) => e.owner !== deps.owner && !deps.busy.has(e.eventId));
  // Owners stored before owners were kept (null) count as not alive.
  const named = [...new Set(others.map((e) => e.owner).filter((o): o is string => o !== null))];
  const alive = named.length > 0 ? await deps.alive(named) : new Map<string, boolean>();
  const ownBefore = new Date(deps.now() - (opts.minAgeMs ?? 0)).toISOString();
  const taken: InboxEvent[] = [];
  for (const event of open) {
    const mine = event.owner === deps.owner;
    if (mine && opts.mine === false) continue;
    if (mine ? event.receivedAt > ownBefore : event.owner !== null && alive.get(event.owner) === true) continue;
    // Checked and added in one step: the listener (or another replay) of this process cannot
    // start on it between the two.
    if (deps.busy.has(event.eventId)) continue;
    deps.busy.add(event.eventId);
    try {
      const claimed =
        mine ||
        (await deps.transaction(async () => {
          if (!(await deps.inbox.claim(deps.platform, event.eventId, event.owner, deps.owner))) return false;
          await deps.onClaimed(event);
          return true;
        }));
      if (claimed) taken.push({ ...event, owner: deps.owner });
      else deps.busy.delete(event.eventId); // done or taken by another survivor meanwhile
    } catch (err) {
      deps.busy.delete(event.eventId);
      // The events claimed so far are handled (they are in `busy`); the rest wait for the next round.
      if (taken.length === 0) throw err;
      deps.onError?.(err);
      break;
    }
  }
  return taken;
}
