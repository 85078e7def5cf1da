// Wakes a running bridge's lane from outside (a test that stores work itself): the same job the
// bridge's TurnQueue adds (turns.ts wakeJob), on the bridge's queue prefix.
import { Queue, type ConnectionOptions } from 'bullmq';
import type { Lane } from '../../src/core/ports.js';
import { wakeJob } from '../../src/infra/queue/turns.js';
import { newRedis } from './redis.js';

export async function wakeLane(redisUrl: string, prefix: string, lane: Lane, conversationId: string): Promise<void> {
  const redis = newRedis(redisUrl);
  const queue = new Queue(lane, { connection: redis as ConnectionOptions, prefix });
  try {
    const job = wakeJob(conversationId, `test-${Date.now()}`);
    await queue.add(job.name, job.data, job.opts);
  } finally {
    await queue.close();
    await redis.quit();
  }
}
