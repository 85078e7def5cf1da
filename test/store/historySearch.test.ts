// History search by index (migration 009) keeps the meaning of the plain scan: a message is a hit
// when its body holds the text with ASCII letters folded (and only those: é and É differ), hits
// come newest first, at most `limit` of them. The trigram index (FTS5 on SQLite, pg_trgm on
// Postgres) only narrows the rows; these tests check its answers against that rule, computed here
// in plain JS, for texts long enough for the index and too short for it, rare and common.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { NewMessage } from '../../src/core/ports.js';
import type { Direction } from '../../src/core/types.js';
import { MIGRATIONS, openStore, type BridgeStore } from '../../src/infra/store/index.js';
import { migrate, migratePostgres } from '../../src/infra/store/migrate.js';
import { PG_MIGRATIONS } from '../../src/infra/store/migrations/postgres/index.js';
import { postgresDb } from '../../src/infra/store/postgres/driver.js';
import { sqliteDb } from '../../src/infra/store/sqlite/driver.js';
import type { Db } from '../../src/infra/store/db.js';
import { dropTestDatabase, freshPostgresUrl, TEST_ENGINE } from '../support/testDatabase.js';
import { createTempStore, type TempStore } from '../support/tempStore.js';
import { steppingClock } from './clock.js';

let temp: TempStore | null = null;
afterEach(async () => {
  await temp?.cleanup();
  temp = null;
});
afterAll(() => dropTestDatabase());

const NUMBER = '+12025550100';

/** Bodies mixing ASCII case, non-ASCII letters in both cases, LIKE's and FTS5's special characters. */
const BODIES = [
  'Hello WORLD', 'hello world', 'HELLO there', 'Café au lait', 'CAFÉ AU LAIT', 'café', 'Straße', 'STRASSE',
  'Über alles', 'über ALLES', 'ÜBER', 'İstanbul', 'istanbul', 'Kelvin 5 \u212a', 'kelvin 5 k', '50% off today',
  '50 percent off', 'file_name.pdf', 'fileXname.pdf', 'back\\slash', 'say "quoted" words', 'a "b" c', 'OR AND NOT',
  'col:umn NEAR(x y)', '😀 smile 😀', 'ok', 'OK then', 'no', 'x', 'éé', 'ÉÉ', 'invoice #48213', 'Invoice #4821',
  'tab\there', 'line\nbreak', '   spaced   ', 'ＦＵＬＬ width', 'ﬁ ligature',
];

/** Texts searched: long and short, matching and not, with the same special characters. */
const TEXTS = [
  'hello', 'HELLO', 'Hello World', 'world', 'café', 'CAFÉ', 'Café', 'afé', 'AFÉ', 'straße', 'STRASSE', 'strasse',
  'über', 'ÜBER', 'ber', 'istanbul', 'İstanbul', '\u212a', 'kelvin 5 k', '50%', '0% ', '%', '_', 'file_', 'e_n',
  'k\\s', '\\', '"quoted"', '"', 'a "b', 'OR AND', 'NEAR(', 'col:', '😀', '😀 s', 'ok', 'OK', 'o', 'x', 'éé', 'ÉÉ',
  'é', '4821', '48213', '#4821', 'e\tt', 'e\nb', '   ', ' ', 'ＦＵＬＬ', 'ｆｕｌｌ', 'ﬁ', 'fi', 'nothing like this',
];

interface Sent {
  id: string;
  body: string;
  number: string;
  contact: string;
  direction: Direction;
}

/** The rule: ASCII letters folded, substring, newest first (insertion order breaks ties), limit. */
function expected(sent: readonly Sent[], q: { text?: string; number?: string; contact?: string; direction?: Direction; limit?: number }): string[] {
  const fold = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
  return [...sent]
    .reverse()
    .filter((m) => !q.text || fold(m.body).includes(fold(q.text)))
    .filter((m) => (q.number === undefined || m.number === q.number) && (q.contact === undefined || m.contact === q.contact))
    .filter((m) => q.direction === undefined || m.direction === q.direction)
    .slice(0, q.limit ?? 100)
    .map((m) => m.id);
}

async function fill(store: BridgeStore, bodies: readonly string[], sent: Sent[], contact = '+14155550123'): Promise<void> {
  const conversationId = (await store.conversations.getOrCreate(NUMBER, contact)).conversation.id;
  await store.transaction(async () => {
    for (const [i, body] of bodies.entries()) {
      const direction: Direction = i % 3 === 0 ? 'outbound' : 'inbound';
      const input: NewMessage = {
        conversationId, direction, body, status: direction === 'inbound' ? 'received' : 'queued', encoding: 'UCS-2', segments: 1,
        ...(direction === 'inbound'
          ? { provider: 'twilio', providerMessageId: `SM${sent.length}` }
          : { platformMessageId: `slack:C1:${sent.length}` }),
      };
      const { message } = await store.messages.insert(input);
      sent.push({ id: message.id, body, number: NUMBER, contact, direction });
    }
  });
}

const ids = async (store: BridgeStore, q: Parameters<typeof expected>[1]) => (await store.messages.search(q)).map((m) => m.id);

describe('history search by index', () => {
  it('finds exactly what the ASCII-folded substring rule finds, for every text', async () => {
    temp = await createTempStore({ clock: steppingClock() });
    const sent: Sent[] = [];
    await fill(temp.store, BODIES, sent);
    for (const text of TEXTS) expect({ text, hits: await ids(temp.store, { text }) }).toEqual({ text, hits: expected(sent, { text }) });
  });

  it('keeps the other filters and the limit with a text', async () => {
    temp = await createTempStore({ clock: steppingClock() });
    const sent: Sent[] = [];
    await fill(temp.store, BODIES, sent);
    await fill(temp.store, BODIES, sent, '+14155550999');
    for (const text of ['hello', 'café', 'ok', '50%']) {
      for (const q of [
        { text, contact: '+14155550999' }, { text, number: NUMBER, direction: 'inbound' as const }, { text, limit: 1 },
        { text, direction: 'outbound' as const, limit: 2 },
      ]) {
        expect({ q, hits: await ids(temp.store, q) }).toEqual({ q, hits: expected(sent, q) });
      }
    }
  });

  it('a text found in many messages gives the newest hits, as one found in few does', async () => {
    temp = await createTempStore({ clock: steppingClock() });
    const sent: Sent[] = [];
    // 600 hits for "common", more than the index candidates a search collects at this size.
    await fill(temp.store, Array.from({ length: 900 }, (_, i) => (i % 3 === 2 ? `rare ${i}` : `Common text ${i}`)), sent);
    for (const q of [{ text: 'common', limit: 5 }, { text: 'COMMON TEXT 8', limit: 1000 }, { text: 'rare', limit: 1000 }, { text: 'ext 59' }]) {
      expect({ q, hits: await ids(temp.store, q) }).toEqual({ q, hits: expected(sent, q) });
    }
  });

  it('finds messages inserted after earlier searches (the index follows every insert)', async () => {
    temp = await createTempStore({ clock: steppingClock() });
    const sent: Sent[] = [];
    await fill(temp.store, BODIES, sent);
    expect(await ids(temp.store, { text: 'zeppelin' })).toEqual([]);
    await fill(temp.store, ['Zeppelin over the city', 'hello zeppelin', 'café again'], sent);
    for (const text of ['zeppelin', 'hello', 'café', 'ok']) expect({ text, hits: await ids(temp.store, { text }) }).toEqual({ text, hits: expected(sent, { text }) });
  });
});

describe('history search index on an existing database', () => {
  it('indexes the messages stored before migration 009', async () => {
    const before = (list: typeof MIGRATIONS) => list.filter((m) => m.version < 9);
    const now = () => new Date().toISOString();
    const dir = mkdtempSync(join(tmpdir(), 'sms-bridge-fts-'));
    const file = join(dir, 'old.db');
    const url = TEST_ENGINE === 'postgres' ? await freshPostgresUrl() : null;
    let db: Db;
    let raw: Database.Database | null = null;
    if (url) {
      db = postgresDb({ connectionString: url });
      await migratePostgres(db, before(PG_MIGRATIONS), { label: 'test', now });
    } else {
      raw = new Database(file);
      migrate(raw, before(MIGRATIONS), { file, now });
      db = sqliteDb(raw);
    }
    await db.run("INSERT INTO conversations (id, number, contact, created_at) VALUES ('c1', ?, '+14155550123', ?)", [NUMBER, now()]);
    const old = BODIES.map((body, i) => ({ id: `old-${String(i).padStart(3, '0')}`, body }));
    for (const [i, m] of old.entries()) {
      const at = new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString();
      await db.run(
        "INSERT INTO messages (id, conversation_id, direction, body, status, encoding, segments, created_at, updated_at) VALUES (?, 'c1', 'inbound', ?, 'received', 'UCS-2', 1, ?, ?)",
        [m.id, m.body, at, at],
      );
    }
    await db.close();
    raw?.close();
    const store = await openStore(url ? { databaseUrl: url } : { file });
    try {
      const sent: Sent[] = old.map((m) => ({ ...m, number: NUMBER, contact: '+14155550123', direction: 'inbound' }));
      for (const text of TEXTS) expect({ text, hits: await ids(store, { text }) }).toEqual({ text, hits: expected(sent, { text }) });
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
