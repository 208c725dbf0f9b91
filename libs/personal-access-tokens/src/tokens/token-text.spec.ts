import { TOKEN_DESCRIPTION_PATTERN, TOKEN_NAME_PATTERN } from './token-text';

const CONTROL = /\p{Cc}/u;
const FORMAT = /\p{Cf}/u;

function bmp(): string[] {
  const characters: string[] = [];
  for (let code = 0; code <= 0xffff; code++) if (code < 0xd800 || code > 0xdfff) characters.push(String.fromCharCode(code));
  return characters;
}

describe('token name and description characters', () => {
  it('a name refuses exactly the control and format characters of the BMP (and the unassigned U+2065 among them)', () => {
    const disagreements = bmp().filter((c) => TOKEN_NAME_PATTERN.test(c) === (CONTROL.test(c) || FORMAT.test(c)) && c !== '\u2065');
    expect(disagreements.map((c) => c.charCodeAt(0).toString(16))).toEqual([]);
    for (const sneaky of ['\u202e', '\u200b', '\u2066', '\u200d', '\ufeff', '\u00ad', '\u0000', '\u001b']) {
      expect(TOKEN_NAME_PATTERN.test(`ci${sneaky}deploy`)).toBe(false);
    }
    expect(TOKEN_NAME_PATTERN.test('déploiement café 🚀 日本語 ci-deploy')).toBe(true);
  });

  it('a description refuses control characters but newline and tab', () => {
    const refused = bmp().filter((c) => !TOKEN_DESCRIPTION_PATTERN.test(c));
    expect(refused).toEqual(bmp().filter((c) => CONTROL.test(c) && c !== '\n' && c !== '\t'));
    expect(TOKEN_DESCRIPTION_PATTERN.test('line 1\nline 2\tcolumn, with a \u202e bidi override kept for right-to-left text')).toBe(true);
    expect(TOKEN_DESCRIPTION_PATTERN.test('clear \u001b[2J screen')).toBe(false);
  });

  it('the documented patterns use no \\p{…} class and read the same with and without the u flag', () => {
    for (const pattern of [TOKEN_NAME_PATTERN, TOKEN_DESCRIPTION_PATTERN]) {
      expect(pattern.source).not.toMatch(/\\p\{/);
      const unicode = new RegExp(pattern.source, 'u');
      expect(bmp().filter((c) => unicode.test(c) !== pattern.test(c))).toEqual([]);
    }
  });
});
