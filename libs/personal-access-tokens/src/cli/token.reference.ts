import { send, type Api, type Token } from './api.client';
import { CliError, ExitCode } from './cli.errors';
import { printable } from './table.layout';
import { shortId } from './token.view';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ID_PREFIX = /^[0-9a-f][0-9a-f-]{3,35}$/i;
const PAGE_SIZE = 100;

/** A token named on the command line: its id, and its name when a lookup found it. */
export interface TokenRef {
  id: string;
  name?: string;
}

/** The server's notion of "the same name": Unicode-normalised and case-folded. */
function nameKey(name: string): string {
  return name.normalize('NFC').toUpperCase().toLowerCase();
}

/**
 * The token `reference` names: a full id (used as is: the service answers 404 for another user's),
 * else the token with that name (names are unique per user, whatever the case), else the one
 * whose id starts with it (the 8 characters `pat token list` shows).
 */
export async function resolveToken(host: string, api: Api, reference: string): Promise<TokenRef> {
  if (UUID.test(reference)) return { id: reference.toLowerCase() };
  const key = nameKey(reference);
  const named = (await listAll(host, api, reference.slice(0, 100))).find((token) => nameKey(token.name) === key);
  if (named) return named;
  const shown = printable(reference);
  if (ID_PREFIX.test(reference)) {
    const prefix = reference.toLowerCase();
    const matches = (await listAll(host, api)).filter((token) => token.id.startsWith(prefix));
    if (matches.length === 1) return matches[0];
    if (matches.length > 1) {
      throw new CliError(`"${shown}" starts the ids of ${matches.length} of your tokens: give more of the id`, ExitCode.Usage, {
        details: matches.map((token) => ({ field: shortId(token.id), reason: token.name })),
      });
    }
  }
  throw new CliError(`No token named "${shown}" among yours${ID_PREFIX.test(reference) ? ', nor one whose id starts so' : ''}`, ExitCode.NotFound, {
    hint: 'See your tokens with `pat token list`.',
  });
}

async function listAll(host: string, api: Api, search?: string): Promise<Token[]> {
  const tokens: Token[] = [];
  for (let page = 1; ; page++) {
    const { data } = await send(host, api.GET('/user/me/personal-access-tokens', { params: { query: { page, pageSize: PAGE_SIZE, search } } }));
    tokens.push(...data.items);
    if (data.items.length < PAGE_SIZE || tokens.length >= data.total) return tokens;
  }
}
