// POST /api/messages: the teams-ai Application (no AI module) on a TeamsAdapter.
//
// Order per request: JSON body (1 MB cap) -> shape check (400 with the reason) -> TeamsAdapter
// authenticates (Bot Framework JWT unless anonymous mode; 401 and nothing else happens) -> the
// Application routes the activity to one of our handlers. The answer waits for the handler, which
// only stores and enqueues (fast), so Teams gets its 200 well within its timeout.

import type { Express, Request, Response } from 'express';
import { Application } from '@microsoft/teams-ai';
import type { TeamsAdapter } from '@microsoft/teams-ai';
import type { TurnContext } from 'botbuilder';
import { jsonBody } from '../../../src/http/body.js';
import type { ChatLogger } from '../../../src/delivery/logger.js';
import { incomingActivitySchema, type ActivityLike } from './activity.js';
import { handleConversationUpdate, handleInstallationUpdate, type InstallationDeps } from './installation.js';
import { handleEditOrDelete, handleReplyActivity, type ReplyDeps } from './replies.js';

export const TEAMS_ROUTE = '/api/messages';

export interface TeamsBotDeps {
  adapter: TeamsAdapter;
  botAppId: string | null;
  /** TEAMS_ALLOW_ANONYMOUS: botbuilder skips JWT checks (empty app id). */
  anonymous: boolean;
  replies: ReplyDeps;
  installation: InstallationDeps;
  logger: ChatLogger;
  /** smsb_webhooks_total{source="teams", outcome}: accepted, duplicate, rejected, invalid, error. */
  webhooks?: { inc(labels: { source: string; outcome: string }): void };
}

/** Turn-state key under which the message handler leaves its outcome for the route's metrics. */
const OUTCOME = 'smsb.teams.outcome';

export function createTeamsApplication(deps: TeamsBotDeps): Application {
  const app = new Application({
    adapter: deps.adapter,
    ...(deps.botAppId ? { botAppId: deps.botAppId } : {}),
    // We strip the bot's mention ourselves (entities + <at> text) and send no typing indicator:
    // the bot never answers in the conversation except with notices.
    removeRecipientMention: false,
    startTypingTimer: false,
    longRunningMessages: false,
  });
  const act = (ctx: TurnContext): ActivityLike => ctx.activity as unknown as ActivityLike;

  app.activity('message', async (ctx) => {
    ctx.turnState.set(OUTCOME, await handleReplyActivity(deps.replies, act(ctx)));
  });
  app.activity(['messageUpdate', 'messageDelete'], async (ctx) => {
    await handleEditOrDelete(deps.replies, act(ctx));
  });
  app.activity('conversationUpdate', async (ctx) => {
    await handleConversationUpdate(deps.installation, act(ctx));
  });
  app.activity('installationUpdate', async (ctx) => {
    await handleInstallationUpdate(deps.installation, act(ctx));
  });
  return app;
}

export function mountTeamsRoute(expressApp: Express, deps: TeamsBotDeps, application: Application): void {
  // botbuilder prints turn errors with console.error and answers 500 with the message: log ours
  // through pino instead and keep internals out of the answer.
  deps.adapter.onTurnError = async (ctx, err) => {
    deps.logger.error({ type: ctx.activity.type, err: err instanceof Error ? err.message : String(err) }, 'teams: activity failed');
    throw new Error('internal error');
  };

  expressApp.post(TEAMS_ROUTE, ...jsonBody(), async (req: Request, res: Response) => {
    let outcome: unknown = null;
    res.on('finish', () => {
      const s = res.statusCode;
      const label = s === 401 || s === 403 ? 'rejected' : s === 400 ? 'invalid' : s >= 500 ? 'error' : outcome === 'duplicate' ? 'duplicate' : 'accepted';
      deps.webhooks?.inc({ source: 'teams', outcome: label });
    });
    const parsed = incomingActivitySchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      res.status(400).json({
        error: { code: 'invalid_input', message: `not a Bot Framework activity: ${issue ? `${issue.path.join('.') || 'body'} ${issue.message}` : 'bad shape'}` },
      });
      return;
    }
    // No bearer token at all: refuse here (botbuilder would too, with a stack trace on stderr).
    // Every token that is present is validated by botbuilder.
    if (!deps.anonymous && !/^Bearer\s+\S+/i.test(req.get('authorization') ?? '')) {
      res.status(401).json({ error: { code: 'unauthorized', message: 'Bot Framework token required.' } });
      return;
    }
    await deps.adapter.process(req, res, async (ctx) => {
      await application.run(ctx);
      outcome = ctx.turnState.get(OUTCOME) ?? null;
    });
  });
}
