import { ValidationFailedError } from '../core/domain-error';
import { isAddressAllowed, normalizeAllowList } from './ip-allow-list';

describe('normalizeAllowList', () => {
  it('writes each entry one way: host bits cleared, mapped IPv6 as IPv4, RFC 5952 IPv6, no duplicates', () => {
    expect(
      normalizeAllowList([
        '10.1.2.3/8',
        '203.0.113.7',
        '203.0.113.7/32',
        '::ffff:192.0.2.1',
        '::ffff:192.0.2.1/120',
        '2001:DB8:0:0:0:0:0:1',
        '2001:db8::/32',
        '::/0',
        '0.0.0.0/0',
        ' 198.51.100.0/24 ',
      ]),
    ).toEqual([
      '10.0.0.0/8',
      '203.0.113.7',
      '192.0.2.1',
      '192.0.2.0/24',
      '2001:db8::1',
      '2001:db8::/32',
      '::/0',
      '0.0.0.0/0',
      '198.51.100.0/24',
    ]);
  });

  it.each([
    '10.0.0.0/33',
    '1.2.3',
    '::ffff:1.2.3.4/200',
    '1.2.3.4/',
    '1.2.3.4/08',
    '01.2.3.4',
    '256.1.1.1',
    '1.2.3.4/8/8',
    'fe80::1%eth0',
    '1::2::3',
    '1.2.3.4::',
    '12345::',
    '2001:db8::/129',
    ':::',
    '',
    'localhost',
    'https://example.com/?q=1',
  ])('refuses %p naming the entry by its index, not its value', (entry) => {
    let error: unknown;
    try {
      normalizeAllowList(['10.0.0.1', entry]);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationFailedError);
    const details = (error as ValidationFailedError).details!;
    expect(details).toEqual([{ field: 'allowedIps[1]', reason: expect.stringMatching(/^must be an IPv4 or IPv6 address or CIDR range/) }]);
    if (entry) expect(JSON.stringify(details)).not.toContain(entry);
  });
});

describe('isAddressAllowed', () => {
  const list = normalizeAllowList(['10.0.0.0/8', '203.0.113.7', '2001:db8::/32'])!;

  it('lets any address through when the token has no allow-list', () => {
    expect(isAddressAllowed(null, '198.51.100.1')).toBe(true);
    expect(isAddressAllowed(null, undefined)).toBe(true);
  });

  it.each([
    ['10.20.30.40', true],
    ['::ffff:10.0.0.1', true],
    ['::FFFF:203.0.113.7', true],
    ['203.0.113.7', true],
    ['2001:db8:1::5', true],
    ['203.0.113.8', false],
    ['11.0.0.1', false],
    ['2001:db9::1', false],
    ['::ffff:11.0.0.1', false],
    ['::a00:1', false],
    ['garbage', false],
  ])('%p allowed: %p', (ip, allowed) => {
    expect(isAddressAllowed(list, ip)).toBe(allowed);
  });

  it('refuses a request whose address is unknown', () => {
    expect(isAddressAllowed(list, undefined)).toBe(false);
  });
});
