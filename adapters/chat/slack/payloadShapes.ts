// What a signed body posted to /slack/events must look like before Bolt or the bridge reads it.
// Bolt trusts a signed body's shape: an Events API envelope whose `event` is null or a number, a
// `payload=null` form or a block action whose `actions` is null made it throw a TypeError, and
// Bolt answered 500 (issue 13, finding 8). Message events with fields of the wrong type reached
// the inbox and the reply path. So the fields Bolt and the bridge read are checked here, and what
// does not fit is answered at the edge:
// - refuse (400, with the reason): a body Slack never sends this way (not JSON, not an object, a
//   form that is neither a slash command nor an interactivity payload, a malformed command);
// - ignore (200, nothing done): an Events API envelope or event the bridge cannot read. The Events
//   API retries every non-2xx answer (three times, and turns a failing app's events off), and an
//   event that cannot be read now will not read better on a retry.
// Interactivity payloads (`payload=`, block actions, view submissions, shortcuts) are
// acknowledged and ignored when well-formed: the bridge posts no buttons, menus or modals and
// registers no handlers for them, and Bolt would hold the request 3 s before answering 404.

import { parse as parseForm, type ParsedUrlQuery } from 'node:querystring';
import { z } from 'zod';

export type SlackBodyVerdict =
  /** Hand the request to Bolt (and the inbox). */
  | { action: 'pass' }
  /** 200 and nothing done. */
  | { action: 'ignore'; reason: string }
  /** 400 with the reason. */
  | { action: 'refuse'; reason: string };

/** The only form type Bolt reads as a form (it compares the whole header); anything else is JSON to it. */
const FORM_TYPE = 'application/x-www-form-urlencoded';

const record = z.record(z.unknown());
const text = z.string().nullish();

/** Bolt reads these on every event (getTypeAndConversation, buildSource): `in` on a non-object throws. */
const anyEvent = z
  .object({
    type: z.string().min(1),
    user: z.union([z.string(), record]).optional(),
    channel: z.union([z.string(), record]).optional(),
    item: record.optional(),
    subteam: record.optional(),
  })
  .passthrough();

/** The fields of a message event the inbox and the reply path read (src: events.ts, replyFiles.ts). */
const messageFields = {
  subtype: text,
  channel: text,
  user: text,
  bot_id: text,
  text,
  ts: text,
  thread_ts: text,
  deleted_ts: text,
  files: z
    .array(z.object({ id: text, name: text, mimetype: text, size: z.number().nullish(), url_private: text, url_private_download: text }).passthrough())
    .nullish(),
  metadata: z.object({ event_type: text }).passthrough().nullish(),
};
const innerMessage = z.object(messageFields).passthrough();
const messageEvent = z.object({ ...messageFields, message: innerMessage.nullish(), previous_message: innerMessage.nullish() }).passthrough();

const envelope = z
  .object({
    type: z.string(),
    event_id: text,
    team_id: text,
    event: anyEvent,
    // Bolt reads authorizations[0].team_id and response_urls[0].response_url when they are lists.
    authorizations: z.unknown().refine((v) => !Array.isArray(v) || v.every((a) => record.safeParse(a).success), 'must be a list of objects'),
    response_urls: z.array(z.object({ response_url: z.string() }).passthrough()).optional(),
  })
  .passthrough();

const slashCommand = z
  .object({
    command: z.string().min(1),
    user_id: z.string().min(1),
    channel_id: z.string().min(1),
    team_id: z.string().optional(),
    text: z.string().optional(),
    response_url: z.string().optional(),
    trigger_id: z.string().optional(),
    enterprise_id: z.string().optional(),
    is_enterprise_install: z.string().optional(),
  })
  .passthrough();

const interactivity = z.object({ type: z.string().min(1) }).passthrough();

/** "event.channel: Expected string, received number" */
function firstIssue(error: z.ZodError, prefix = ''): string {
  const issue = error.issues[0];
  if (!issue) return 'bad shape';
  const where = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  return where ? `${where}: ${issue.message}` : issue.message;
}

function checkEvents(body: unknown): SlackBodyVerdict {
  if (!record.safeParse(body).success) return { action: 'refuse', reason: 'the body is not a JSON object' };
  const b = body as Record<string, unknown>;
  if (b.type === 'url_verification') {
    return typeof b.challenge === 'string' ? { action: 'pass' } : { action: 'refuse', reason: 'url_verification without a challenge string' };
  }
  if (b.event === undefined && b.type !== 'event_callback') {
    // app_rate_limited and other notices the bridge has nothing to do for.
    return typeof b.type === 'string' ? { action: 'ignore', reason: `no event in a ${JSON.stringify(b.type).slice(0, 40)} request` } : { action: 'refuse', reason: 'not an Events API request (no type)' };
  }
  const env = envelope.safeParse(body);
  if (!env.success) return { action: 'ignore', reason: firstIssue(env.error) };
  const event = env.data.event;
  // Bolt leaves the ack of function_executed to a listener, and the bridge has none.
  if (event.type === 'function_executed') return { action: 'ignore', reason: 'function_executed (no workflow steps here)' };
  if (event.type === 'message') {
    const msg = messageEvent.safeParse(event);
    if (!msg.success) return { action: 'ignore', reason: firstIssue(msg.error, 'event') };
  }
  return { action: 'pass' };
}

function checkForm(form: ParsedUrlQuery): SlackBodyVerdict {
  if (typeof form.ssl_check === 'string' && form.ssl_check !== '') return { action: 'pass' }; // Bolt answers it
  if (form.payload !== undefined) {
    if (typeof form.payload !== 'string') return { action: 'refuse', reason: 'payload is sent more than once' };
    let payload: unknown;
    try {
      payload = JSON.parse(form.payload);
    } catch {
      return { action: 'refuse', reason: 'payload is not JSON' };
    }
    const p = interactivity.safeParse(payload);
    if (!p.success) return { action: 'refuse', reason: `not an interactivity payload: ${firstIssue(p.error, 'payload')}` };
    return { action: 'ignore', reason: `interactivity payload ${JSON.stringify(p.data.type).slice(0, 40)} (no interactive components here)` };
  }
  const repeated = Object.keys(slashCommand.shape).find((k) => Array.isArray(form[k]));
  if (repeated) return { action: 'refuse', reason: `${repeated} is sent more than once` };
  const c = slashCommand.safeParse(form);
  if (!c.success) return { action: 'refuse', reason: `not a slash command: ${firstIssue(c.error)}` };
  return { action: 'pass' };
}

/** Checks a signed body as Bolt will read it: a form when the type is exactly form-urlencoded, else JSON. */
export function checkSlackBody(contentType: string | undefined, body: string): SlackBodyVerdict {
  if (contentType === FORM_TYPE) return checkForm(parseForm(body));
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { action: 'refuse', reason: 'the body is not JSON (and not a form)' };
  }
  return checkEvents(json);
}
