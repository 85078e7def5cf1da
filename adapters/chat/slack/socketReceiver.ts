// Slack's Socket Mode for Bolt, keeping the rule /slack/events keeps: stored before acknowledged.
// Bolt's own SocketModeReceiver acknowledges an event before anything of ours runs, so this
// Receiver stores each events_api envelope first (the accept step of /slack/events: the chat inbox
// and the reply's place in its conversation's order, in one transaction), then acknowledges it,
// then hands it to Bolt, whose handlers are the ones HTTP uses. When storing fails the envelope is
// not acknowledged and Slack sends it again. Slash commands and interactivity are acknowledged by
// the handler that takes them (ack()); one that no handler acknowledged (a button the bridge has
// no handler for) is acknowledged once Bolt is done with it, so Slack shows the user no error.

import type { App, Receiver } from '@slack/bolt';
import type { ChatLogger } from '../../../src/delivery/logger.js';
import { worthKeeping, type SlackEnvelope } from './inbox.js';
import type { SlackSocket, SocketEnvelope } from './socketConnection.js';

/** The envelope types that carry work; `hello` and `disconnect` are the connection's own. */
const WORK = new Set(['events_api', 'slash_commands', 'interactive']);

export interface SlackSocketReceiverOptions {
  socket: SlackSocket;
  /** Stores an event the inbox keeps (see worthKeeping) and reserves its place, in one transaction. */
  accept: (envelope: SlackEnvelope & { event_id: string }, body: string) => void | Promise<void>;
  /** Adds an envelope's work to the platform's in-flight work (stop() lets it finish). */
  track: <T>(work: Promise<T>) => Promise<T>;
  logger: ChatLogger;
}

export class SlackSocketReceiver implements Receiver {
  private app: App | null = null;
  /** Envelopes are stored one after the other in the order Slack sent them: replies keep theirs. */
  private storing: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: SlackSocketReceiverOptions) {
    opts.socket.onEnvelope((envelope) => {
      if (WORK.has(envelope.type)) void opts.track(this.receive(envelope));
    });
  }

  init(app: App): void {
    this.app = app;
  }

  start(): Promise<void> {
    return this.opts.socket.start();
  }

  stop(): Promise<void> {
    return this.opts.socket.stop();
  }

  private async receive(envelope: SocketEnvelope): Promise<void> {
    const { app } = this;
    const log = this.opts.logger;
    if (!app) return; // not acknowledged: Slack sends it again
    let acked = false;
    const ack = async (response?: Record<string, unknown>): Promise<void> => {
      if (acked) return;
      acked = true;
      await envelope.ack(response).catch((err: unknown) => {
        // The socket went away first: Slack sends the envelope again, and a repeat is recognised.
        log.debug({ envelopeId: envelope.envelope_id, err: err instanceof Error ? err.message : String(err) }, 'slack: acknowledgement not sent');
      });
    };
    if (envelope.type === 'events_api') {
      const body = envelope.body as SlackEnvelope;
      if (worthKeeping(body)) {
        const stored = this.storing.then(() => this.opts.accept(body, JSON.stringify(envelope.body)));
        this.storing = stored.catch(() => undefined);
        try {
          await stored;
        } catch (err) {
          log.error({ eventId: body.event_id, err: err instanceof Error ? err.message : String(err) }, 'slack: event not stored, so not acknowledged; Slack sends it again');
          return;
        }
      }
      await ack(); // Bolt acknowledges events too, before its listeners: that call is then a no-op
    }
    try {
      await app.processEvent({ body: envelope.body, ack, retryNum: envelope.retry_num, retryReason: envelope.retry_reason });
    } catch (err) {
      log.error({ type: envelope.type, err: err instanceof Error ? err.message : String(err) }, 'slack: handling an envelope failed');
    } finally {
      await ack();
    }
  }
}
