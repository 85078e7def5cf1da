// Postgres schema 010: console sessions and one-time sign-in codes (see ../010_console_sessions.ts);
// the same tables, ISO timestamps as text like every other table here.

export { name, sql, version } from '../010_console_sessions.js';
