import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSlackPlatform } from '../../../adapters/chat/slack/index.js';
import { ConfigError } from '../../../src/core/errors.js';
import { ChatRegistry } from '../../../src/delivery/registry.js';
import { RecordingQueues } from '../../delivery/fakes.js';
import { startFakeSlack, type FakeSlack } from '../../fakes/fakeSlack.js';
import { createTempStore, type TempStore } from '../../support/tempStore.js';

let slack: FakeSlack;
let temp: TempStore;
beforeEach(async () => {
  slack = await startFakeSlack();
  temp = createTempStore();
});
afterEach(async () => {
  await slack.close();
  temp.cleanup();
});

const make = (token: string, registry = new ChatRegistry()) =>
  createSlackPlatform(
    { config: { dataDir: temp.dir, slack: { enabled: true, botToken: token, signingSecret: 's3cret', apiUrl: slack.apiUrl } }, store: temp.store, clock: { now: () => new Date() } },
    { queue: new RecordingQueues(temp.store.outbox), owner: 'test~1', providerCaps: () => null, registry },
  );

describe('Slack start-up', () => {
  it('a bot token Slack does not accept stops start-up with a line naming SLACK_BOT_TOKEN', async () => {
    const err = await make('xoxb-wrong').start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^SLACK_BOT_TOKEN: /);
  });

  it('Slack not answering at start-up does not stop start-up, and the platform posts once it answers', async () => {
    slack.failNext('auth.test', { kind: 'http', status: 503 });
    const rt = make(slack.botToken);
    await expect(rt.start()).resolves.toBeUndefined();
    slack.addChannel('C1');
    temp.store.numbers.create({ e164: '+14155552671', provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    const { conversation } = temp.store.conversations.getOrCreate('+14155552671', '+12125553456');
    await expect(rt.platform.createThread(conversation, 'C1')).resolves.toMatchObject({ threadId: expect.any(String) });
    await rt.stop();
  });

  it('registers itself as the "slack" platform and learns its workspace and bot ids', async () => {
    const registry = new ChatRegistry();
    const rt = make(slack.botToken, registry);
    expect(registry.get('slack')).toBe(rt.platform);
    await rt.start();
    expect(slack.callsTo('auth.test').length).toBeGreaterThanOrEqual(1);
    await rt.stop();
  });
});
