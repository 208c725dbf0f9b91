import { DEFAULT_POLICY } from '../core/personal-access-tokens.options';
import { assertWithinCallerExpiry, resolveExpiry } from './token-expiry';

const now = new Date('2026-01-01T00:00:00.000Z');
const days = (n: number) => new Date(now.getTime() + n * 86_400_000);

describe('resolveExpiry', () => {
  it('defaults to 90 days', () => {
    expect(resolveExpiry({}, DEFAULT_POLICY, now)).toEqual(days(90));
  });

  it('turns expiresIn into a date', () => {
    expect(resolveExpiry({ expiresIn: '1h' }, DEFAULT_POLICY, now)).toEqual(new Date(now.getTime() + 3600_000));
    expect(resolveExpiry({ expiresIn: '30d' }, DEFAULT_POLICY, now)).toEqual(days(30));
  });

  it('takes a custom future date within the maximum lifetime', () => {
    expect(resolveExpiry({ expiresAt: days(10) }, DEFAULT_POLICY, now)).toEqual(days(10));
    expect(() => resolveExpiry({ expiresAt: now }, DEFAULT_POLICY, now)).toThrow(/future/);
    expect(() => resolveExpiry({ expiresAt: days(366) }, DEFAULT_POLICY, now)).toThrow(/365 days/);
  });

  it('allows no expiry only where the policy does', () => {
    expect(() => resolveExpiry({ expiresAt: null }, DEFAULT_POLICY, now)).toThrow(/policy/);
    expect(resolveExpiry({ expiresAt: null }, { ...DEFAULT_POLICY, allowNoExpiry: true }, now)).toBeNull();
  });

  it('refuses both forms at once', () => {
    expect(() => resolveExpiry({ expiresIn: '1d', expiresAt: days(1) }, DEFAULT_POLICY, now)).toThrow(/either/);
  });

  it('never outlives the token that asks', () => {
    const caller = { id: 't', name: 'ci', scopes: [], expiresAt: days(7) };
    expect(() => assertWithinCallerExpiry(days(1), caller)).not.toThrow();
    expect(() => assertWithinCallerExpiry(days(7), caller)).not.toThrow();
    expect(() => assertWithinCallerExpiry(days(30), caller)).toThrow(/outlives/);
    expect(() => assertWithinCallerExpiry(null, caller)).toThrow(/outlives/);
    expect(() => assertWithinCallerExpiry(days(1), { ...caller, expiresAt: new Date(NaN) })).toThrow(/outlives/);
    expect(() => assertWithinCallerExpiry(null, { ...caller, expiresAt: null })).not.toThrow();
  });
});
