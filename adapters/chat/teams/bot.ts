// POST /api/messages: the teams-ai Application (no AI module) on a TeamsAdapter.
//
// Order per request: a bearer token shaped like a JWT, claims of the right types (unless anonymous
// mode; 401 before the body is read: tokenShape.ts) -> JSON body (256 KB cap) -> shape check (400
// with the reason) -> botbuilder authenticates (Bot Framework JWT unless anonymous mode; 401 and
// nothing else happens, 503 when the token cannot be checked now: see auth.ts) -> channel, tenant
// and serviceUrl are checked (403 and nothing else happens: see trust.ts) -> the Application
// routes the activity to one of our handlers. The answer waits for the handler, so a reply is
// stored (and handed to the queue) before Teams gets its 200. That is fast for text; a reply with
// files first downloads them from Teams (bounded per file), and if Teams gives up waiting and
// sends the activity again, the retry is recognised by its activity id: one message, one SMS.

import type { Express, Request, RequestHandler, Response } from 'express';
import { Application } from '@microsoft/teams-ai';
import { ActivityTypes, type Activity, type TurnContext } from 'botbuilder';
import { closeAfterResponse, jsonBody } from '../../../src/http/body.js';
import type { ChatLogger } from '../../../src/delivery/logger.js';
import { incomingActivitySchema, type ActivityLike } from './activity.js';
import { authenticateActivity, type BridgeTeamsAdapter } from './auth.js';
import { handleConversationUpdate, handleInstallationUpdate, type InstallationDeps } from './installation.js';
import { handleEditOrDelete, handleReplyActivity, releaseTeamsReply, reserveTeamsReply, type ReplyDeps } from './replies.js';
import { bearerTokenProblem } from './tokenShape.js';
import { tenantOf, type ActivityTrust } from './trust.js';

export const TEAMS_ROUTE = '/api/messages';

/**
 * Largest activity taken. Teams caps a message at about 28 KB; its activity carries it twice (text
 * and an HTML attachment), JSON-escaped, with entities and channel data: tens of KB, well within.
 */
export const TEAMS_BODY_LIMIT = 256 * 1024;

export interface TeamsBotDeps {
  adapter: BridgeTeamsAdapter;
  botAppId: string | null;
  /** TEAMS_ALLOW_ANONYMOUS: botbuilder skips JWT checks (empty app id). */
  anonymous: boolean;
  /** Limit on one inbound token check (metadata fetch included); default in auth.ts. */
  authTimeoutMs?: number;
  /** Channel, tenant and serviceUrl rules every activity must meet (trust.ts). */
  trust: ActivityTrust;
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
  // Teams waits for the answer to an invoke (a card action, a message extension, a task module, a
  // sign-in step) and shows the user an error unless it is a 200. The bridge offers none of them,
  // and botbuilder answers an invoke that no handler answered with 501: say "received" instead.
  app.activity(ActivityTypes.Invoke, async (ctx) => {
    await ctx.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200 } });
  });
  return app;
}

export function mountTeamsRoute(expressApp: Express, deps: TeamsBotDeps, application: Application): void {
  // botbuilder's default prints turn errors with console.error: log ours through pino instead;
  // the route answers 500 without internals.
  deps.adapter.onTurnError = async (ctx, err) => {
    deps.logger.error({ type: ctx.activity.type, err: err instanceof Error ? err.message : String(err) }, 'teams: activity failed');
    throw new Error('internal error');
  };

  const counted: RequestHandler = (_req, res, next) => {
    res.on('finish', () => {
      const s = res.statusCode;
      const label = s === 401 || s === 403 ? 'rejected' : s === 400 || s === 413 ? 'invalid' : s >= 500 ? 'error' : res.locals[OUTCOME] === 'duplicate' ? 'duplicate' : 'accepted';
      deps.webhooks?.inc({ source: 'teams', outcome: label });
    });
    next();
  };
  // Without a token that could be a JWT no activity can pass: refused on the headers, before
  // the upload is read. Every token of the right shape is validated by botbuilder after it.
  // (Anonymous mode needs none; a token sent anyway must still be one botbuilder can read.)
  const bearerShaped: RequestHandler = (req, res, next) => {
    const authorization = req.get('authorization') ?? '';
    if (deps.anonymous && authorization === '') return next();
    const problem = bearerTokenProblem(authorization);
    if (!problem) return next();
    if (authorization !== '') deps.logger.warn({ reason: problem }, 'teams: request refused, malformed Bot Framework token');
    closeAfterResponse(res);
    res.status(401).json({ error: { code: 'unauthorized', message: 'Bot Framework token required.' } });
  };

  expressApp.post(TEAMS_ROUTE, counted, bearerShaped, ...jsonBody(TEAMS_BODY_LIMIT), async (req: Request, res: Response) => {
    const parsed = incomingActivitySchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      res.status(400).json({
        error: { code: 'invalid_input', message: `not a Bot Framework activity: ${issue ? `${issue.path.join('.') || 'body'} ${issue.message}` : 'bad shape'}` },
      });
      return;
    }
    const activity = fixTimestamps(req.body as Activity);
    const auth = await authenticateActivity(deps.adapter, activity, req.get('authorization') ?? '', deps.authTimeoutMs);
    if (!auth.ok) {
      if (auth.status === 401) {
        deps.logger.warn({ type: activity.type, reason: auth.reason }, 'teams: request refused, Bot Framework token not valid');
        res.status(401).json({ error: { code: 'unauthorized', message: 'Bot Framework token required.' } });
      } else if (auth.status === 503) {
        // Not the sender's fault, and not proof of a bad token: a transient failure it may retry.
        deps.logger.error({ type: activity.type, reason: auth.reason }, 'teams: cannot verify Bot Framework tokens (OpenID metadata unavailable)');
        res.status(503).set('Retry-After', '10').json({ error: { code: 'auth_unavailable', message: 'Cannot verify the Bot Framework token right now; try again later.' } });
      } else {
        deps.logger.error({ type: activity.type, reason: auth.reason }, 'teams: token check failed');
        res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
      }
      return;
    }
    // 403, not 200: that is how botbuilder itself refuses a caller it will not serve, and a 4xx is
    // a final answer (channels redeliver after timeouts and server errors, not after it), so a
    // refusal is neither retried forever nor mistaken for success. Nothing changes; the activity's
    // text is never logged.
    const refusal = deps.trust.check(parsed.data);
    if (refusal) {
      deps.logger.warn(
        { type: activity.type, channelId: parsed.data.channelId, tenant: tenantOf(parsed.data), serviceUrlHost: hostOf(parsed.data.serviceUrl), reason: refusal.code },
        'teams: activity refused',
      );
      res.status(403).json({ error: { code: 'forbidden', message: `Activity refused: ${refusal.reason}.`, reason: refusal.code } });
      return;
    }
    // A reply takes its place in its conversation's order now, in the order requests come in.
    const place = await reserveTeamsReply(deps.replies, activity as unknown as ActivityLike);
    try {
      const invoke = await deps.adapter.runAuthenticated(auth.result, activity, async (ctx) => {
        await application.run(ctx);
        res.locals[OUTCOME] = ctx.turnState.get(OUTCOME) ?? null;
      });
      // As CloudAdapter.process answers: the invoke response when a handler left one, else 200.
      res.status(invoke?.status ?? 200);
      if (invoke?.body) res.send(invoke.body);
      else res.end();
    } catch {
      // Already logged by onTurnError; internals stay out of the answer. The reply's place goes:
      // nothing replays a Teams activity but Teams itself, whose retry takes a new one.
      if (place) await releaseTeamsReply(deps.replies, place).catch(() => undefined);
      if (!res.headersSent) res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
    }
  });
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

/** What botbuilder's CloudAdapter.process does to a body before its turn (validateAndFixActivity). */
function fixTimestamps(body: Activity): Activity {
  const a = body as Activity & Record<string, unknown>;
  for (const [field, raw] of [['timestamp', 'rawTimestamp'], ['expiration', 'rawExpiration'], ['localTimestamp', 'rawLocalTimestamp']] as const) {
    const v = a[field];
    if (typeof v === 'string') {
      a[raw] = v;
      a[field] = new Date(v);
    }
  }
  return a;
}
