// Text shown in chat reads in the order it was written: no bidirectional control character from
// an SMS (or a name, or a provider's reason) reaches Slack or Teams.
import { describe, expect, it } from 'vitest';
import { withoutBidiControls } from '../../src/chat/bidi.js';

describe('bidirectional controls in text from outside', () => {
  it('a right-to-left override cannot disguise the end of a file name or link', () => {
    expect(withoutBidiControls('invoice\u202Efdp.exe')).toBe('invoicefdp.exe');
    expect(withoutBidiControls('https://bank.example/\u202Emoc.live')).toBe('https://bank.example/moc.live');
  });

  it('removes every embedding, override, isolate and mark, and nothing else', () => {
    const controls = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069', '\u200E', '\u200F', '\u061C'];
    expect(withoutBidiControls(`a${controls.join('b')}c`)).toBe(`a${'b'.repeat(controls.length - 1)}c`);
    // Right-to-left scripts, emoji, zero-width joiners and ordinary punctuation stay as written.
    const text = 'שלום عليكم 👩‍💻 (415) 555-2671 — ok?';
    expect(withoutBidiControls(text)).toBe(text);
  });
});
