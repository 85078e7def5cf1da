// Block Kit as the fake Slack checks and shows it. Checking: the block and rich text shapes Slack
// accepts, strictly (an unknown block, element or field is Slack's `invalid_blocks`, with the
// reasons in `errors`; far too much text is `msg_blocks_too_long`). Showing: a message as a
// person reads it in Slack, as plain text, so tests assert on what is seen.

/** Slack refuses messages whose blocks hold much more text than this (it measures loosely). */
export const MAX_BLOCKS_TEXT = 12_000;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

const STYLE_KEYS = new Set(['bold', 'italic', 'strike', 'code', 'underline', 'highlight', 'client_highlight', 'unlink']);

/** Inline rich text elements: the fields each may have, and which are required. */
const INLINE: Record<string, { required: string[]; optional: string[] }> = {
  text: { required: ['text'], optional: ['style'] },
  link: { required: ['url'], optional: ['text', 'unsafe', 'style'] },
  emoji: { required: ['name'], optional: ['unicode', 'style'] },
  user: { required: ['user_id'], optional: ['style'] },
  channel: { required: ['channel_id'], optional: ['style'] },
  usergroup: { required: ['usergroup_id'], optional: ['style'] },
  broadcast: { required: ['range'], optional: ['style'] },
  date: { required: ['timestamp', 'format'], optional: ['url', 'fallback'] },
};

const CONTAINERS: Record<string, string[]> = {
  rich_text_section: [],
  rich_text_quote: ['border'],
  rich_text_preformatted: ['border'],
  rich_text_list: ['style', 'indent', 'offset', 'border'],
};

function unknownFields(o: Json, allowed: string[], where: string, errors: string[]): void {
  for (const k of Object.keys(o)) if (k !== 'type' && !allowed.includes(k)) errors.push(`${where}: unknown field ${k}`);
}

function checkStyle(style: unknown, where: string, errors: string[]): void {
  if (style === undefined) return;
  if (!isObject(style)) return void errors.push(`${where}.style: must be an object`);
  for (const [k, v] of Object.entries(style)) {
    if (!STYLE_KEYS.has(k) || typeof v !== 'boolean') errors.push(`${where}.style: bad property ${k}`);
  }
}

function checkInline(el: unknown, where: string, errors: string[]): void {
  if (!isObject(el) || typeof el.type !== 'string') return void errors.push(`${where}: must be an element with a type`);
  const spec = INLINE[el.type];
  if (!spec) return void errors.push(`${where}: unsupported type ${el.type}`);
  unknownFields(el, [...spec.required, ...spec.optional], where, errors);
  for (const k of spec.required) if (el[k] === undefined || el[k] === '') errors.push(`${where}: missing required field ${k}`);
  if (el.type === 'text' && !nonEmptyString(el.text)) errors.push(`${where}.text: must be a non-empty string`);
  if (el.type === 'link' && (!nonEmptyString(el.url) || !URL.canParse(el.url) || (el.text !== undefined && typeof el.text !== 'string'))) errors.push(`${where}: bad link`);
  if (el.type === 'broadcast' && !['here', 'channel', 'everyone'].includes(String(el.range))) errors.push(`${where}.range: bad value`);
  checkStyle(el.style, where, errors);
}

function checkContainer(c: unknown, where: string, errors: string[]): void {
  if (!isObject(c) || typeof c.type !== 'string') return void errors.push(`${where}: must be an element with a type`);
  const extra = CONTAINERS[c.type];
  if (!extra) return void errors.push(`${where}: unsupported type ${c.type}`);
  unknownFields(c, ['elements', ...extra], where, errors);
  if (!Array.isArray(c.elements)) return void errors.push(`${where}.elements: must be an array`);
  if (c.type === 'rich_text_list') {
    if (c.style !== 'bullet' && c.style !== 'ordered') errors.push(`${where}.style: must be bullet or ordered`);
    c.elements.forEach((s, i) => {
      if (!isObject(s) || s.type !== 'rich_text_section') errors.push(`${where}.elements[${i}]: must be a rich_text_section`);
      else checkContainer(s, `${where}.elements[${i}]`, errors);
    });
    return;
  }
  c.elements.forEach((el, i) => checkInline(el, `${where}.elements[${i}]`, errors));
}

function checkTextObject(t: unknown, where: string, errors: string[], max: number, types = ['mrkdwn', 'plain_text']): void {
  if (!isObject(t) || !types.includes(String(t.type)) || !nonEmptyString(t.text)) return void errors.push(`${where}: must be a text object`);
  if (t.text.length > max) errors.push(`${where}.text: longer than ${max} characters`);
}

function checkBlock(b: unknown, where: string, errors: string[]): void {
  if (!isObject(b) || typeof b.type !== 'string') return void errors.push(`${where}: must be a block with a type`);
  if (b.block_id !== undefined && !nonEmptyString(b.block_id)) errors.push(`${where}.block_id: must be a string`);
  switch (b.type) {
    case 'rich_text':
      unknownFields(b, ['elements', 'block_id'], where, errors);
      if (!Array.isArray(b.elements) || b.elements.length === 0) return void errors.push(`${where}.elements: must be a non-empty array`);
      b.elements.forEach((c, i) => checkContainer(c, `${where}.elements[${i}]`, errors));
      return;
    case 'section':
      if (b.text !== undefined) checkTextObject(b.text, `${where}.text`, errors, 3000);
      else if (!Array.isArray(b.fields)) errors.push(`${where}: needs text or fields`);
      return;
    case 'context':
      if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10) return void errors.push(`${where}.elements: 1 to 10 elements`);
      b.elements.forEach((e, i) => {
        if (!(isObject(e) && e.type === 'image')) checkTextObject(e, `${where}.elements[${i}]`, errors, 3000);
      });
      return;
    case 'header':
      return checkTextObject(b.text, `${where}.text`, errors, 150, ['plain_text']);
    case 'divider':
      return unknownFields(b, ['block_id'], where, errors);
    default:
      errors.push(`${where}: unsupported type ${b.type}`);
  }
}

/** Every piece of text a reader sees in the blocks (for the size limit and for showing). */
function inlineText(el: Json): string {
  switch (el.type) {
    case 'text':
      return String(el.text ?? '');
    case 'link':
      return String(el.text ?? el.url ?? '');
    case 'emoji':
      return `:${String(el.name)}:`;
    case 'user':
      return `<@${String(el.user_id)}>`;
    case 'channel':
      return `<#${String(el.channel_id)}>`;
    case 'usergroup':
      return `<!subteam^${String(el.usergroup_id)}>`;
    case 'broadcast':
      return `@${String(el.range)}`;
    default:
      return String(el.fallback ?? '');
  }
}

const containerElements = (c: Json): Json[] => (Array.isArray(c.elements) ? (c.elements as Json[]) : []);

function showContainer(c: Json): string {
  if (c.type === 'rich_text_list') return containerElements(c).map((s) => `• ${showContainer(s)}`).join('\n');
  const text = containerElements(c).map(inlineText).join('');
  if (c.type === 'rich_text_quote') return text.split('\n').map((l) => `> ${l}`).join('\n');
  if (c.type === 'rich_text_preformatted') return `\`\`\`${text}\`\`\``;
  return text;
}

function showBlock(b: Json): string {
  switch (b.type) {
    case 'rich_text':
      return containerElements(b).map(showContainer).join('\n');
    case 'section':
    case 'header':
      return isObject(b.text) ? String(b.text.text) : '';
    case 'context':
      return containerElements(b).map((e) => String(e.text ?? '')).join(' ');
    default:
      return '';
  }
}

/**
 * What chat.postMessage / chat.update would answer about `blocks`: null when Slack takes them,
 * else its error code and the reasons.
 */
export function blocksProblem(blocks: unknown): { error: string; errors: string[] } | null {
  if (blocks === undefined) return null;
  if (!Array.isArray(blocks)) return { error: 'invalid_blocks_format', errors: ['blocks: must be an array'] };
  const errors: string[] = [];
  if (blocks.length > 50) errors.push('blocks: more than 50');
  blocks.forEach((b, i) => checkBlock(b, `blocks[${i}]`, errors));
  if (errors.length > 0) return { error: 'invalid_blocks', errors };
  const size = blocks.reduce((n: number, b) => n + showBlock(b as Json).length, 0);
  if (size > MAX_BLOCKS_TEXT) return { error: 'msg_blocks_too_long', errors: [`blocks: ${size} characters`] };
  return null;
}

/** A posted message as a person reads it: the blocks when there are any (quotes as "> "), else the text. */
export function shownText(m: { text?: string; blocks?: unknown }): string {
  if (Array.isArray(m.blocks) && m.blocks.length > 0) return (m.blocks as Json[]).map(showBlock).join('\n');
  return m.text ?? '';
}

/** The words of a message's quote (what a contact or co-worker wrote), null when it has none. */
export function quotedText(m: { blocks?: unknown }): string | null {
  if (!Array.isArray(m.blocks)) return null;
  const quotes = (m.blocks as Json[])
    .filter((b) => b.type === 'rich_text')
    .flatMap(containerElements)
    .filter((c) => c.type === 'rich_text_quote');
  return quotes.length > 0 ? quotes.map((c) => containerElements(c).map(inlineText).join('')).join('\n') : null;
}

/** The link elements of a message's blocks, in order: where each goes and what it shows. */
export function linksIn(m: { blocks?: unknown }): Array<{ url: string; text: string }> {
  if (!Array.isArray(m.blocks)) return [];
  const out: Array<{ url: string; text: string }> = [];
  const walk = (c: Json): void => {
    for (const el of containerElements(c)) {
      if (el.type === 'link') out.push({ url: String(el.url), text: String(el.text ?? el.url) });
      else if (Array.isArray(el.elements)) walk(el);
    }
  };
  for (const b of m.blocks as Json[]) if (b.type === 'rich_text') walk(b);
  return out;
}
