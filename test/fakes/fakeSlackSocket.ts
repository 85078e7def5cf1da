// Slack's Socket Mode, faked on loopback, as part of the fake Slack (fakeSlack.ts serves
// apps.connections.open, with the app-level token only, as Slack does). apps.connections.open
// hands out a one-use ws:// URL; a connection to it gets `hello`, then the envelopes the test
// sends (events_api, slash_commands, interactive) in Slack's wire format, each of which must be
// acknowledged with its envelope_id ({"envelope_id": ..., "payload"?: ...}). Acknowledgements are
// recorded; one naming an envelope that was never sent, or already acknowledged, or not JSON, is
// kept as stray. As Slack does, an events_api envelope not acknowledged is sent again, same
// envelope, retry_attempt + 1, when the next connection has said hello.
//
// It misbehaves on request: drops the connection (no close frame), sends `disconnect` (warning,
// refresh_requested), loses acknowledgements on the way (the envelope stays unacknowledged),
// refuses new connections, or opens them and never says hello.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';

export interface FakeEnvelope {
  envelope_id: string;
  type: 'events_api' | 'slash_commands' | 'interactive';
  payload: Record<string, unknown>;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
}

export interface FakeSocketAck {
  envelopeId: string;
  /** What came with it (a slash command may answer in it). */
  payload: unknown;
  at: number;
}

export interface FakeSlackSocket {
  appToken: string;
  /** Connections that got `hello`, in all. */
  connections: number;
  isConnected(): boolean;
  /** Resolves once `count` connections got `hello` in all and one is open. */
  waitConnected(count?: number, timeoutMs?: number): Promise<void>;
  /** A message event in an events_api envelope (as Slack's Events API sends it). */
  sendEvent(event: Record<string, unknown>, opts?: { eventId?: string }): { envelopeId: string; eventId: string };
  /** A slash command payload (the fields Slack POSTs over HTTP, as JSON). */
  sendCommand(payload: Record<string, unknown>): string;
  /** An interactivity payload (block_actions, ...). */
  sendInteractive(payload: Record<string, unknown>): string;
  /** Every envelope sent, redeliveries included, in order. */
  sent: FakeEnvelope[];
  acks: FakeSocketAck[];
  strayAcks: unknown[];
  /** Acknowledgements lost on the way (while loseAcks), as they came. */
  lostAcks: unknown[];
  acked(envelopeId: string): boolean;
  waitForAck(envelopeId: string, timeoutMs?: number): Promise<FakeSocketAck>;
  /** Called as each acknowledgement arrives, before anything else happens. */
  onAck: ((ack: FakeSocketAck) => void) | null;
  /** While true, acknowledgements are lost on the way (the envelopes stay unacknowledged). */
  loseAcks: boolean;
  /** While true, new connections are refused (HTTP 503 on the upgrade). */
  refuseConnections: boolean;
  /** While true, new connections open but never get `hello`. */
  withholdHello: boolean;
  /** Ends the open connection(s) abruptly, without a close frame. */
  drop(): void;
  /** Slack's `disconnect` message; with refresh_requested the connection is closed soon after. */
  askToReconnect(reason: 'warning' | 'refresh_requested'): void;
  close(): Promise<void>;
}

const CONNECTION_PATH = '/link/';

export function attachFakeSocketMode(
  server: Server,
  opts: { appToken: string; appId: string; teamId: string; botUserId: string; baseUrl: () => string },
): FakeSlackSocket & { open(): string } {
  const wss = new WebSocketServer({ noServer: true });
  const tickets = new Set<string>();
  const clients = new Set<WebSocket>();
  /** events_api envelopes not acknowledged yet: sent again on the next connection. */
  const pending = new Map<string, FakeEnvelope>();
  const sentIds = new Set<string>();
  let current: WebSocket | null = null;
  const waiters: Array<() => void> = [];

  const notify = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  const deliver = (envelope: FakeEnvelope): void => {
    if (!current || current.readyState !== WebSocket.OPEN) throw new Error('fake Slack: no open Socket Mode connection to send on');
    fake.sent.push(structuredClone(envelope));
    sentIds.add(envelope.envelope_id);
    current.send(JSON.stringify(envelope));
  };
  const send = (type: FakeEnvelope['type'], payload: Record<string, unknown>): string => {
    const envelope: FakeEnvelope = { envelope_id: randomUUID(), type, payload, accepts_response_payload: type !== 'events_api' };
    if (type === 'events_api') {
      envelope.retry_attempt = 0;
      envelope.retry_reason = '';
      pending.set(envelope.envelope_id, envelope);
    }
    deliver(envelope);
    return envelope.envelope_id;
  };

  const onMessage = (data: Buffer): void => {
    if (fake.loseAcks) {
      fake.lostAcks.push(data.toString('utf8'));
      notify();
      return;
    }
    let ack: { envelope_id?: unknown; payload?: unknown };
    try {
      ack = JSON.parse(data.toString('utf8')) as typeof ack;
    } catch {
      fake.strayAcks.push(data.toString('utf8'));
      return;
    }
    const id = ack?.envelope_id;
    if (typeof id !== 'string' || !sentIds.has(id) || fake.acks.some((a) => a.envelopeId === id)) {
      fake.strayAcks.push(ack);
      return;
    }
    pending.delete(id);
    const recorded: FakeSocketAck = { envelopeId: id, payload: ack.payload, at: Date.now() };
    fake.onAck?.(recorded);
    fake.acks.push(recorded);
    notify();
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const ticket = url.searchParams.get('ticket') ?? '';
    const refuse = (status: number, text: string): void => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== CONNECTION_PATH) return refuse(404, 'Not Found');
    if (fake.refuseConnections) return refuse(503, 'Service Unavailable');
    // A URL from apps.connections.open works once, as Slack's do.
    if (!tickets.delete(ticket)) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => {
        clients.delete(ws);
        if (current === ws) current = null;
      });
      ws.on('error', () => undefined);
      ws.on('message', (data: Buffer) => onMessage(data));
      if (fake.withholdHello) return;
      current = ws;
      ws.send(
        JSON.stringify({
          type: 'hello',
          num_connections: clients.size,
          debug_info: { host: 'applink-fake', build_number: 1, approximate_connection_time: 18060 },
          connection_info: { app_id: opts.appId },
        }),
      );
      fake.connections += 1;
      // Slack sends again what was not acknowledged, with its attempt number.
      for (const envelope of pending.values()) {
        envelope.retry_attempt = (envelope.retry_attempt ?? 0) + 1;
        envelope.retry_reason = 'timeout';
        deliver(envelope);
      }
      notify();
    });
  });

  const until = (check: () => boolean, what: string, timeoutMs: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fake Slack socket: timed out waiting for ${what}`)), timeoutMs);
      const test = (): void => {
        if (check()) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(test);
      };
      test();
    });

  const fake: FakeSlackSocket & { open(): string } = {
    appToken: opts.appToken,
    connections: 0,
    sent: [],
    acks: [],
    strayAcks: [],
    lostAcks: [],
    onAck: null,
    loseAcks: false,
    refuseConnections: false,
    withholdHello: false,
    open() {
      const ticket = randomUUID();
      tickets.add(ticket);
      return `${opts.baseUrl().replace(/^http/, 'ws')}${CONNECTION_PATH}?ticket=${ticket}&app_id=${opts.appId}`;
    },
    isConnected: () => current !== null && current.readyState === WebSocket.OPEN,
    waitConnected(count = 1, timeoutMs = 10_000) {
      return until(() => fake.connections >= count && fake.isConnected(), `connection #${count}`, timeoutMs);
    },
    sendEvent(event, o = {}) {
      const eventId = o.eventId ?? `Ev${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;
      const envelopeId = send('events_api', {
        token: 'legacy',
        team_id: opts.teamId,
        api_app_id: opts.appId,
        type: 'event_callback',
        event_id: eventId,
        event_time: Math.floor(Date.now() / 1000),
        event: { event_ts: event.ts, ...event },
        authorizations: [{ team_id: opts.teamId, user_id: opts.botUserId, is_bot: true }],
        is_ext_shared_channel: false,
      });
      return { envelopeId, eventId };
    },
    sendCommand: (payload) => send('slash_commands', { token: 'legacy', team_id: opts.teamId, api_app_id: opts.appId, is_enterprise_install: 'false', ...payload }),
    sendInteractive: (payload) => send('interactive', { token: 'legacy', api_app_id: opts.appId, team: { id: opts.teamId, domain: 'fake' }, ...payload }),
    acked: (id) => fake.acks.some((a) => a.envelopeId === id),
    async waitForAck(id, timeoutMs = 10_000) {
      await until(() => fake.acked(id), `the acknowledgement of ${id}`, timeoutMs);
      return fake.acks.find((a) => a.envelopeId === id) as FakeSocketAck;
    },
    drop() {
      for (const ws of clients) ws.terminate();
    },
    askToReconnect(reason) {
      const ws = current;
      if (!ws) throw new Error('fake Slack: no open Socket Mode connection');
      ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-fake' } }));
      if (reason === 'refresh_requested') setTimeout(() => ws.terminate(), 2000).unref();
    },
    async close() {
      for (const ws of clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
  return fake;
}
