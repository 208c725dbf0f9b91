import { readCredential } from './credentials';

const read = (authorization?: string | string[], extra: { query?: unknown; body?: unknown } = {}) =>
  readCredential({ headers: { authorization }, ...extra });

describe('readCredential', () => {
  it('accepts Bearer and ApiKey, any case', () => {
    expect(read('Bearer pat_abc')).toEqual({ kind: 'token', token: 'pat_abc' });
    expect(read('bearer pat_abc')).toEqual({ kind: 'token', token: 'pat_abc' });
    expect(read('ApiKey pat_abc')).toEqual({ kind: 'token', token: 'pat_abc' });
  });

  it('treats no header and other schemes as no credential', () => {
    expect(read(undefined).kind).toBe('missing');
    expect(read('Basic dXNlcjpwYXNz').kind).toBe('missing');
  });

  it.each([
    ['Bearer', 'no token'],
    ['Bearer ', 'no token'],
    ['Bearer a b', 'two tokens'],
    ['Bearer pat_ä', 'outside b64token'],
    ['Bearer pat_"x"', 'quotes'],
    ['Bearer ' + 'a'.repeat(300), 'oversize'],
  ])('refuses %p (%s) as invalid_request', (header) => {
    expect(read(header).kind).toBe('invalid');
  });

  it('refuses a token in the query string or the body, even beside a header', () => {
    expect(read(undefined, { query: { access_token: 'pat_x' } }).kind).toBe('invalid');
    expect(read('Bearer pat_x', { body: { access_token: 'pat_x' } }).kind).toBe('invalid');
  });

  it('refuses repeated headers', () => {
    expect(read(['Bearer a', 'Bearer b']).kind).toBe('invalid');
  });
});
