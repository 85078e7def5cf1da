// Every Postgres migration, in order. Versions and names follow the SQLite list (../index.ts): a
// new schema change is a new numbered module in both lists, each in its engine's SQL.
import type { Migration } from '../index.js';
import * as m001 from './001_initial.js';
import * as m002 from './002_chat_inbox.js';
import * as m003 from './003_conversations_by_time.js';
import * as m004 from './004_outbox.js';
import * as m005 from './005_shared_media.js';
import * as m006 from './006_status_notices.js';
import * as m007 from './007_chat_inbox_owner.js';
import * as m008 from './008_local_outbox.js';
import * as m009 from './009_history_search.js';
import * as m010 from './010_console_sessions.js';
import * as m011 from './011_inbox_reads.js';
import * as m012 from './012_post_intents.js';

export const PG_MIGRATIONS: readonly Migration[] = [m001, m002, m003, m004, m005, m006, m007, m008, m009, m010, m011, m012];
