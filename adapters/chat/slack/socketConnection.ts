// Slack's Socket Mode connection (SLACK_APP_TOKEN). @slack/socket-mode's SocketModeClient opens
// it (apps.connections.open with the app token, then a WebSocket that begins with Slack's
// `hello`); this keeps it open. The client's own reconnecting is off: when Slack cannot be reached
// during a reconnect, it ends in an unhandled rejection (which would stop the whole bridge, and it
// must keep taking SMS webhooks while Slack is away), and it retries apps.connections.open for
// many minutes inside one call. Here each attempt is one call, failed attempts are retried with
// growing pauses, and an outage is logged once when it starts (with its reason) and once when
// Slack is back.

import { LogLevel, SocketModeClient, UnrecoverableSocketModeStartError, type Logger as SlackLogger } from '@slack/socket-mode';
import { ConfigError } from '../../../src/core/errors.js';
import type { ChatLogger } from '../../../src/delivery/logger.js';
import type { SlackSocketState } from '../../../src/metrics.js';

/** Timings; tests shorten them. */
export interface SlackSocketTuning {
  /** Pauses before reconnect attempts, the last one repeated. Default 0, 1, 2, 5, 10, 30 s. */
  retryDelaysMs?: number[];
  /** A pong to our ping later than this and the connection counts as dead. Default 5 s. */
  pingTimeoutMs?: number;
  /** apps.connections.open, and then Slack's `hello` on the new socket, each within this. Default 10 s. */
  attemptTimeoutMs?: number;
  /** start() waits this long for the first connection, then lets start-up go on. Default 10 s. */
  startWaitMs?: number;
}

const DEFAULTS: Required<SlackSocketTuning> = {
  // Slack asks for a new connection every few hours: the first retry is at once.
  retryDelaysMs: [0, 1000, 2000, 5000, 10_000, 30_000],
  pingTimeoutMs: 5000,
  attemptTimeoutMs: 10_000,
  startWaitMs: 10_000,
};

/** What an envelope listener receives (SocketModeClient's `slack_event`). */
export interface SocketEnvelope {
  ack: (response?: Record<string, unknown>) => Promise<void>;
  envelope_id?: string;
  type: string;
  body: Record<string, unknown>;
  retry_num?: number;
  retry_reason?: string;
}

/** apps.connections.open errors that mean the app token is wrong, not that Slack is away. */
const TOKEN_REFUSED = new Set<string>([...Object.values(UnrecoverableSocketModeStartError), 'not_allowed_token_type']);

export class SlackSocket {
  private readonly client: SocketModeClient;
  private readonly tuning: Required<SlackSocketTuning>;
  private readonly log: ChatLogger;
  private readonly onState: (state: SlackSocketState) => void;
  private stopped = true;
  private attempting = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private connectedOnce = false;
  /** Why the connection went (or an attempt failed), first cause first; cleared once connected. */
  private reason: string | null = null;
  private down: { since: number; reason: string; warned: boolean } | null = null;
  private firstOutcome: ((err: Error | null) => void) | null = null;

  constructor(opts: { appToken: string; apiUrl: string; logger: ChatLogger; onState?: (state: SlackSocketState) => void; tuning?: SlackSocketTuning }) {
    this.tuning = { ...DEFAULTS, ...opts.tuning };
    this.log = opts.logger;
    this.onState = opts.onState ?? (() => undefined);
    this.client = new SocketModeClient({
      appToken: opts.appToken,
      autoReconnectEnabled: false,
      clientPingTimeout: this.tuning.pingTimeoutMs,
      logger: this.libraryLogger(),
      // One quick call per attempt: pauses and retries are ours (above).
      clientOptions: { slackApiUrl: opts.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: this.tuning.attemptTimeoutMs },
    });
    this.client.on('error', (err: unknown) => this.noteReason(err instanceof Error ? err.message : String(err)));
    this.client.on('connected', () => this.connected());
    this.client.on('disconnected', () => {
      // A failed attempt is handled where it was made; stop() needs no reconnect.
      if (this.attempting || this.stopped) return;
      this.lost();
    });
  }

  /** Calls `handler` for each envelope Slack sends (events_api, slash_commands, interactive). */
  onEnvelope(handler: (envelope: SocketEnvelope) => void): void {
    this.client.on('slack_event', handler);
  }

  /**
   * Opens the connection and keeps it open. Resolves once connected, or after startWaitMs with
   * Slack away (the attempts go on); rejects with a ConfigError when Slack refuses the app token.
   */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    const first = new Promise<Error | null>((resolve) => {
      this.firstOutcome = resolve;
    });
    void this.attempt();
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), this.tuning.startWaitMs);
    });
    const err = await Promise.race([first, waited]);
    clearTimeout(timer);
    this.firstOutcome = null;
    if (err instanceof ConfigError) throw err;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    // Slack's close handshake may never come back: bounded.
    await Promise.race([this.client.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    this.onState('disconnected');
  }

  private async attempt(): Promise<void> {
    this.retryTimer = null;
    if (this.stopped) return;
    this.attempting = true;
    this.onState('connecting');
    // apps.connections.open is bounded by the Web API timeout; Slack's `hello` by this timer.
    let helloTimer: NodeJS.Timeout | undefined;
    const armHelloTimer = (): void => {
      helloTimer = setTimeout(() => {
        this.noteReason(`no hello from Slack within ${this.tuning.attemptTimeoutMs} ms`);
        void this.client.disconnect();
      }, this.tuning.attemptTimeoutMs);
    };
    this.client.once('connecting', armHelloTimer);
    try {
      await this.client.start();
      this.attempting = false;
    } catch (err) {
      this.attempting = false;
      if (this.stopped) return; // stop() ended it
      const refused = tokenRefusal(err);
      if (refused) this.reason = `apps.connections.open: ${refused}`;
      else this.noteReason(err instanceof Error ? err.message : 'the connection closed before Slack said hello');
      const reason = this.reason ?? 'the connection closed before Slack said hello';
      this.reason = null;
      this.firstOutcome?.(refused ? new ConfigError(`SLACK_APP_TOKEN: Slack does not accept this token (apps.connections.open says ${refused})`) : new Error(reason));
      this.onState('disconnected');
      this.noteDown(reason, { refused: refused !== null });
      this.retryLater();
    } finally {
      clearTimeout(helloTimer);
      this.client.off('connecting', armHelloTimer);
    }
  }

  private connected(): void {
    if (this.stopped) {
      void this.client.disconnect(); // an attempt that was on its way when stop() came
      return;
    }
    this.failures = 0;
    this.reason = null;
    this.onState('connected');
    this.firstOutcome?.(null);
    if (this.down) {
      this.log.info({ downForMs: Date.now() - this.down.since, reason: this.down.reason }, 'slack: socket connected again');
      this.down = null;
    } else if (!this.connectedOnce) {
      this.log.info({ mode: 'socket' }, 'slack: socket connected');
    }
    this.connectedOnce = true;
  }

  /** The connection that was up went away. */
  private lost(): void {
    const reason = this.reason ?? 'the connection closed';
    this.reason = null;
    this.onState('disconnected');
    this.noteDown(reason, { routine: reason.startsWith('Slack asked') });
    this.retryLater();
  }

  /**
   * Logged once per outage: a lost connection at warn (Slack's routine request for a new one at
   * info, and at warn only if the next attempt fails too), a refused token at error.
   */
  private noteDown(reason: string, kind: { routine?: boolean; refused?: boolean }): void {
    if (this.down) {
      if (this.down.warned) return;
      this.down.warned = true;
      this.log.warn({ reason, since: new Date(this.down.since).toISOString() }, 'slack: socket still down; retrying (events wait at Slack, SMS webhooks are still taken)');
      return;
    }
    this.down = { since: Date.now(), reason, warned: !kind.routine };
    if (kind.refused) this.log.error({ reason }, 'slack: Slack does not accept SLACK_APP_TOKEN; retrying');
    else if (kind.routine) this.log.info({ reason }, 'slack: socket reconnecting');
    else if (this.connectedOnce) this.log.warn({ reason }, 'slack: socket connection lost; reconnecting (events wait at Slack, SMS webhooks are still taken)');
    else this.log.warn({ reason }, 'slack: cannot open the socket; retrying (events wait at Slack, SMS webhooks are still taken)');
  }

  private retryLater(): void {
    if (this.stopped || this.retryTimer) return;
    const delays = this.tuning.retryDelaysMs;
    const delay = delays[Math.min(this.failures, delays.length - 1)] ?? 0;
    this.failures += 1;
    this.retryTimer = setTimeout(() => void this.attempt(), delay);
    this.retryTimer.unref();
  }

  /** The first cause wins: a close frame or an error follows Slack's `disconnect` message. */
  private noteReason(reason: string): void {
    if (reason.trim()) this.reason ??= reason; // undici's error for a connection cut short has no message
  }

  /**
   * The library's lines go to debug (it logs every failed attempt at error; the outage is logged
   * once, above). Its lines are also where Slack's `disconnect` reason and ping timeouts show:
   * they become the reason of the next outage when nothing better is known.
   */
  private libraryLogger(): SlackLogger {
    // Reported as INFO so the client does not build debug-only strings per acknowledgement; it
    // calls debug() regardless for the lines read below.
    let level = LogLevel.INFO;
    const line = (args: unknown[]): string => args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
    const seen = (args: unknown[]): void => {
      const text = line(args);
      // Anchored: a line quoting a received message carries text anyone in Slack could type.
      const asked = /^Received "disconnect" \(([\w-]*)\)/.exec(text);
      const closed = /^WebSocket close frame received \(code: (\d+)/.exec(text);
      if (asked) this.noteReason(`Slack asked for a new connection (${asked[1]})`);
      else if (/^A p[io]ng wasn't received from the server/.test(text)) this.noteReason(text);
      else if (closed) this.noteReason(`the connection was closed (code ${closed[1]})`);
      this.log.debug({ slack: true, socket: true }, text);
    };
    return {
      debug: (...m: unknown[]) => seen(m),
      info: (...m: unknown[]) => seen(m),
      warn: (...m: unknown[]) => seen(m),
      error: (...m: unknown[]) => seen(m),
      setLevel: (l: LogLevel) => {
        level = l;
      },
      getLevel: () => level,
      setName: () => undefined,
    };
  }
}

/** Slack's error code (invalid_auth, ...) when it refused the app token, else null. */
function tokenRefusal(err: unknown): string | null {
  const code = (err as { data?: { error?: unknown } } | null)?.data?.error;
  return typeof code === 'string' && TOKEN_REFUSED.has(code) ? code : null;
}
