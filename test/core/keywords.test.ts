import { describe, expect, it } from 'vitest';

import { classifyKeyword } from '../../src/core/keywords.js';

describe('rule 12: opt-out keywords', () => {
  it.each(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'END', 'QUIT', 'CANCEL', 'REVOKE', 'OPTOUT'])('%s opts out', (k) => {
    expect(classifyKeyword(k)).toBe('stop');
  });

  it.each(['START', 'YES', 'UNSTOP'])('%s opts back in', (k) => {
    expect(classifyKeyword(k)).toBe('start');
  });

  it.each(['HELP', 'INFO'])('%s is recognised as help', (k) => {
    expect(classifyKeyword(k)).toBe('help');
  });

  it('matches the whole message trimmed, in any case', async () => {
    expect(classifyKeyword('stop ')).toBe('stop');
    expect(classifyKeyword('  Stop\n')).toBe('stop');
    expect(classifyKeyword('\tsTaRt')).toBe('start');
    expect(classifyKeyword('help')).toBe('help');
  });

  it.each(['Stop please', 'please stop', 'STOP!', 'S T O P', 'ＳＴＯＰ', 'stopp', '', '   ', 'yes please'])(
    '%j is not a keyword',
    (body) => {
      expect(classifyKeyword(body)).toBeNull();
    },
  );
});
