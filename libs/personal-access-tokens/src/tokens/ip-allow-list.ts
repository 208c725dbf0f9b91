import { ValidationFailedError } from '../core/domain-error';

/** Entries one token's allow-list holds at most. */
export const MAX_ALLOWED_IPS = 50;
/** The longest entry there is: `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128` is 49 characters. */
export const MAX_ALLOWED_IP_LENGTH = 64;

const ENTRY_REASON = 'must be an IPv4 or IPv6 address or CIDR range, such as 203.0.113.7, 10.0.0.0/8 or 2001:db8::/32';

interface Network {
  family: 4 | 6;
  /** The network address as a number (host bits cleared). */
  base: bigint;
  bits: number;
}

const DECIMAL = /^(0|[1-9]\d{0,2})$/;
const HEXTET = /^[0-9a-f]{1,4}$/;

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!DECIMAL.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

/** Strict RFC 4291 text (no zone index): `::` at most once, an IPv4 tail only in the last 32 bits. */
function parseIpv6(input: string): bigint | undefined {
  const text = input.toLowerCase();
  if (!/^[0-9a-f:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string): string[] | undefined => (half === '' ? [] : half.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const all = [...head, ...tail];
  const words: bigint[] = [];
  for (let i = 0; i < all.length; i++) {
    const group = all[i];
    if (group.includes('.')) {
      if (i !== all.length - 1) return undefined;
      const v4 = parseIpv4(group);
      if (v4 === undefined) return undefined;
      words.push(v4 >> 16n, v4 & 0xffffn);
    } else {
      if (!HEXTET.test(group)) return undefined;
      words.push(BigInt(parseInt(group, 16)));
    }
  }
  // An IPv4 tail before `::` ("1.2.3.4::") is no address.
  if (halves.length === 2 && head.some((group) => group.includes('.'))) return undefined;
  if (halves.length === 1 ? words.length !== 8 : words.length > 7) return undefined;
  const fill = 8 - words.length;
  const expanded =
    halves.length === 2 ? [...words.slice(0, head.length), ...Array<bigint>(fill).fill(0n), ...words.slice(head.length)] : words;
  return expanded.reduce((value, word) => (value << 16n) | word, 0n);
}

/** An address: IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is read as the IPv4 address it carries. */
function parseAddress(text: string): { family: 4 | 6; value: bigint } | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIpv6(text);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === 0xffffn) return { family: 4, value: v6 & 0xffffffffn };
  return { family: 6, value: v6 };
}

function mask(family: 4 | 6, bits: number): bigint {
  const width = family === 4 ? 32 : 128;
  return ((1n << BigInt(width)) - 1n) ^ ((1n << BigInt(width - bits)) - 1n);
}

/** An entry as a network, or undefined if it is none; a mapped IPv6 range becomes the IPv4 range it covers. */
function parseNetwork(entry: string): Network | undefined {
  const [address, bitsText, ...rest] = entry.split('/');
  if (rest.length || (bitsText !== undefined && !/^(0|[1-9]\d{0,2})$/.test(bitsText))) return undefined;
  const v4 = parseIpv4(address);
  const v6 = v4 === undefined ? parseIpv6(address) : undefined;
  if (v4 === undefined && v6 === undefined) return undefined;
  let family: 4 | 6 = v4 !== undefined ? 4 : 6;
  let value = v4 ?? v6!;
  let bits = bitsText === undefined ? (family === 4 ? 32 : 128) : Number(bitsText);
  if (bits > (family === 4 ? 32 : 128)) return undefined;
  if (family === 6 && value >> 32n === 0xffffn && bits >= 96) {
    family = 4;
    value &= 0xffffffffn;
    bits -= 96;
  }
  return { family, base: value & mask(family, bits), bits };
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups as `::`. */
function formatIpv6(value: bigint): string {
  const words = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function formatNetwork({ family, base, bits }: Network): string {
  const address = family === 4 ? formatIpv4(base) : formatIpv6(base);
  return bits === (family === 4 ? 32 : 128) ? address : `${address}/${bits}`;
}

/**
 * A token's allow-list as given, checked and written the one way it is stored: each entry an
 * address or a CIDR range (host bits cleared: `10.1.2.3/8` is `10.0.0.0/8`), IPv4-mapped IPv6
 * as IPv4, IPv6 in RFC 5952 form, duplicates dropped. A bad entry is a 400 naming the field and
 * the entry's index, never its value (a client may paste anything there). `null` stays `null`
 * (any address).
 *
 * @example
 * normalizeAllowList(['10.0.0.0/8', '::ffff:192.0.2.1', '2001:DB8::/32']); // ['10.0.0.0/8', '192.0.2.1', '2001:db8::/32']
 */
export function normalizeAllowList(entries: readonly unknown[] | null | undefined, field = 'allowedIps'): string[] | null | undefined {
  if (entries === undefined || entries === null) return entries;
  const normalized: string[] = [];
  entries.forEach((entry, index) => {
    if (typeof entry !== 'string') throw new ValidationFailedError([{ field: `${field}[${index}]`, reason: 'must be a string' }]);
    const network = entry.length <= MAX_ALLOWED_IP_LENGTH ? parseNetwork(entry.trim()) : undefined;
    if (!network) throw new ValidationFailedError([{ field: `${field}[${index}]`, reason: ENTRY_REASON }]);
    const text = formatNetwork(network);
    if (!normalized.includes(text)) normalized.push(text);
  });
  return normalized;
}

const compiled = new WeakMap<readonly string[], Network[]>();

/**
 * Whether `ip` may use a token with this allow-list: any address when there is none; otherwise
 * only an address inside one of its entries, so an unknown address (no `ip`) is refused.
 */
export function isAddressAllowed(allowList: readonly string[] | null | undefined, ip: string | undefined): boolean {
  if (!allowList) return true;
  if (!ip) return false;
  const address = parseAddress(ip);
  if (!address) return false;
  let networks = compiled.get(allowList);
  if (!networks) {
    networks = allowList.map(parseNetwork).filter((n): n is Network => n !== undefined);
    compiled.set(allowList, networks);
  }
  return networks.some(
    (network) => network.family === address.family && (address.value & mask(network.family, network.bits)) === network.base,
  );
}

/** Whether `text` is an IPv4 or IPv6 address (IPv4-mapped included), with no range. */
export function isIpAddress(text: string): boolean {
  return text.length <= MAX_ALLOWED_IP_LENGTH && parseAddress(text) !== undefined;
}
