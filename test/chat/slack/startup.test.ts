import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSlackPlatform } from '../../../adapters/chat/slack/index.js';
import type { SlackSocketTuning } from '../../../adapters/chat/slack/socketConnection.js';
import { ConfigError } from '../../../src/core/errors.js';
import { ChatRegistry } from '../../../src/delivery/registry.js';
import { RecordingQueues } from '../../delivery/fakes.js';
import { startFakeSlack, type FakeSlack } from '../../fakes/fakeSlack.js';
import { createTempStore, type TempStore } from '../../support/tempStore.js';
import { MemoryLocks, MemoryPaceBudget } from '../../../src/infra/coordination/index.js';

let slack: FakeSlack;
let temp: TempStore;
beforeEach(async () => {
  slack = await startFakeSlack();
  temp = await createTempStore();
});
afterEach(async () => {
  await slack.close();
  await temp.cleanup();
});

const make = (token: string, registry = new ChatRegistry()) =>
  createSlackPlatform(
    { config: { dataDir: temp.dir, slack: { enabled: true, botToken: token, signingSecret: 's3cret', apiUrl: slack.apiUrl } }, store: temp.store, clock: { now: () => new Date() }, locks: new MemoryLocks(), pace: new MemoryPaceBudget() },
    { queue: new RecordingQueues(temp.store.outbox), owner: 'test~1', providerCaps: () => null, registry },
  );

/** Socket Mode (SLACK_APP_TOKEN) with test timings. */
const makeSocket = (appToken: string, socket: SlackSocketTuning = {}) =>
  createSlackPlatform(
    { config: { dataDir: temp.dir, slack: { enabled: true, botToken: slack.botToken, signingSecret: null, appToken, apiUrl: slack.apiUrl } }, store: temp.store, clock: { now: () => new Date() }, locks: new MemoryLocks(), pace: new MemoryPaceBudget() },
    { queue: new RecordingQueues(temp.store.outbox), owner: 'test~1', providerCaps: () => null, socket: { retryDelaysMs: [0, 100], startWaitMs: 3000, ...socket } },
  );

describe('Slack start-up', () => {
  it('in Socket Mode, an app token Slack does not accept stops start-up with a line naming SLACK_APP_TOKEN', async () => {
    const rt = makeSocket('xapp-1-A0APP-1-revoked');
    const err = await rt.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe('SLACK_APP_TOKEN: Slack does not accept this token (apps.connections.open says invalid_auth)');
    await rt.stop();
    expect(slack.socket.connections).toBe(0);
  });

  it('in Socket Mode, Slack away at start-up does not stop start-up; the socket opens once Slack is back', async () => {
    slack.socket.refuseConnections = true;
    const rt = makeSocket(slack.appToken, { startWaitMs: 500 });
    await expect(rt.start()).resolves.toBeUndefined();
    expect(slack.socket.isConnected()).toBe(false);
    slack.socket.refuseConnections = false;
    await slack.socket.waitConnected(1);
    await rt.stop();
  });

  it('in Socket Mode, a connection on which Slack never says hello is given up and tried again', async () => {
    slack.socket.withholdHello = true;
    const rt = makeSocket(slack.appToken, { attemptTimeoutMs: 300 });
    await expect(rt.start()).resolves.toBeUndefined(); // the first attempt timed out
    expect(slack.socket.isConnected()).toBe(false);
    slack.socket.withholdHello = false;
    await slack.socket.waitConnected(1);
    expect(slack.callsTo('apps.connections.open').length).toBeGreaterThanOrEqual(2);
    await rt.stop();
  });

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
    await temp.store.numbers.create({ e164: '+14155552671', provider: 'twilio', type: 'local', status: 'active', country: 'US' });
    const { conversation } = await temp.store.conversations.getOrCreate('+14155552671', '+12125553456');
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
