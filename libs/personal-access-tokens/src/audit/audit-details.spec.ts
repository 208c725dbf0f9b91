import { boundedDetails, TRUNCATED } from './audit-details';

const scrub = (text: string) => text.replace(/pat_[A-Za-z0-9]{8,}/g, '[redacted]');

describe('boundedDetails', () => {
  it('keeps small details as they are', () => {
    const details = { name: 'ci', scopes: ['a:read', 'b:write'], expiresIn: 30, active: true, description: null };
    expect(boundedDetails(details, scrub)).toEqual(details);
  });

  it('cuts an array nested 100,000 deep at four levels, without overflowing the stack', () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(boundedDetails({ name: deep }, scrub)).toEqual({ name: [[[TRUNCATED]]] });
  });

  it('cuts wide containers at 50 entries and says so', () => {
    const wide = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));
    const out = boundedDetails({ name: wide, scopes: Array(10_000).fill('x') }, scrub) as { name: object; scopes: unknown[] };
    expect(Object.keys(out.name)).toHaveLength(51);
    expect(out.name).toMatchObject({ [TRUNCATED]: TRUNCATED });
    expect(out.scopes).toHaveLength(51);
    expect(out.scopes[50]).toBe(TRUNCATED);
  });

  it('bounds the whole event: 40 x 40 arrays of long strings serialize to under 10,000 characters', () => {
    const grid = Array.from({ length: 40 }, () => Array.from({ length: 40 }, () => 'y'.repeat(1_000)));
    const json = JSON.stringify(boundedDetails({ a: grid, b: grid }, scrub));
    expect(json.length).toBeLessThan(10_000);
    expect(json).toContain(TRUNCATED);
  });

  it('cuts long strings at 200 characters with a placeholder, and masks secrets in keys and values', () => {
    const out = boundedDetails({ name: 'z'.repeat(5_000), extra: { pat_abcdefghijkl: 'pat_mnopqrstuvwx' } }, scrub);
    expect(out.name).toBe('z'.repeat(200) + TRUNCATED);
    expect(out.extra).toEqual({ '[redacted]': '[redacted]' });
  });

  it('keeps a __proto__ key as a plain key', () => {
    const body = JSON.parse('{"name":{"__proto__":{"polluted":true}}}') as Record<string, unknown>;
    const out = boundedDetails(body, scrub) as { name: Record<string, unknown> };
    expect(Object.hasOwn(out.name, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
