// In-memory stand-ins for the delivery tests: a recording ChatPlatform and recording queues.
// The store is always the real SQLite one (test/support/tempStore.ts).

import { PlatformError } from '../../src/core/errors.js';
import type { ChatMessageView, ChatPlatform, Lane, MessagePost, OutboxRepo, TurnQueue } from '../../src/core/ports.js';
import type { Conversation, Message, ThreadRef } from '../../src/core/types.js';

export class RecordingPlatform implements ChatPlatform {
  roots: { conversationId: string; channel: string; threadId: string }[] = [];
  posts: { thread: ThreadRef; view: ChatMessageView; id: string }[] = [];
  statuses: { post: MessagePost; status: string }[] = [];
  /** Queue of failures for the next post() calls. */
  failPosts: (PlatformError | null)[] = [];
  failStatus = false;
  createDelayMs = 0;
  private seq = 0;

  constructor(readonly id: string) {}

  async createThread(conversation: Conversation, channel: string): Promise<{ threadId: string }> {
    if (this.createDelayMs) await new Promise((r) => setTimeout(r, this.createDelayMs));
    const threadId = `${this.id}-root-${++this.seq}`;
    this.roots.push({ conversationId: conversation.id, channel, threadId });
    return { threadId };
  }

  async post(thread: ThreadRef, view: ChatMessageView): Promise<{ platformMessageId: string }> {
    const failure = this.failPosts.shift();
    if (failure) throw failure;
    const id = `${this.id}:${thread.channel}:${++this.seq}`;
    this.posts.push({ thread, view, id });
    return { platformMessageId: id };
  }

  async showStatus(post: MessagePost, _thread: ThreadRef, message: Message): Promise<void> {
    if (this.failStatus) throw new PlatformError({ platform: this.id, message: 'down', retryable: true });
    this.statuses.push({ post, status: message.status });
  }
}

/**
 * Records wake-ups as the messages they are for (read from the outbox by the token's seq), once
 * per job id, as BullMQ keeps one job per id.
 */
export class RecordingQueues implements TurnQueue {
  sends: string[] = [];
  deliveries: string[] = [];
  private readonly seen = new Set<string>();
  constructor(private readonly outbox: Pick<OutboxRepo, 'get'>) {}
  async wake(lane: Lane, conversationId: string, token: string): Promise<void> {
    const id = `${lane}/${conversationId}.${token}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    const messageId = token.startsWith('m') ? (await this.outbox.get(Number(token.slice(1))))?.messageId : null;
    if (messageId) (lane === 'send' ? this.sends : this.deliveries).push(messageId);
  }
}

export const fixedClock = { now: () => new Date() };
