// Chat platforms' rate limits are per channel, thread or app, not per process: the budget lives in
// Redis so two instances posting into one channel share it. One Lua call checks and takes every
// window at once, on Redis' clock.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { PaceBudget, RateWindow } from '../../core/coordination.js';
import { defineScript, type ScriptCall } from '../queue/script.js';

const LUA = new URL('./lua/', import.meta.url);

export class RedisPaceBudget implements PaceBudget {
  private readonly script: ScriptCall<number>;
  private counter = 0;
  private readonly id = randomBytes(6).toString('hex');

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    this.script = defineScript<number>(redis, 'pace-take.lua', null, LUA);
  }

  async take(budgets: ReadonlyArray<{ key: string; windows: readonly RateWindow[] }>): Promise<number> {
    if (budgets.length === 0) return 0;
    const keys = budgets.map((b) => `${this.prefix}:pace:${b.key}`);
    const windows = JSON.stringify(budgets.map((b) => b.windows.map((w) => [w.limit, w.ms])));
    // The key count varies per call, so it goes in front of the keys.
    return Number(await this.script([], [keys.length, ...keys, `${this.id}:${++this.counter}`, windows]));
  }
}
