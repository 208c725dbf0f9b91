// The library's module graph, enforced on every relative import (ESLint rule `pat/module-graph`).
//
//   core <- scopes <- users
//                  <- tokens <- auth <- page <- oidc
//                  <- audit     ^
//                  <- {tokens, audit} <- usage
//                  <- tokens <- token-exchange
//
// core knows no feature; scopes knows principals and the route metadata; users, tokens and audit
// build on scopes without knowing each other; auth, the join, builds on tokens; page, the optional
// self-service page, is a client of them all and builds on auth (its session cookie); oidc, sign-in
// through an OpenID provider, provisions users and issues sessions (the page's cookie among them);
// token-exchange mints PATs for CI identity tokens through tokens; usage, a token's requests per hour
// or day and the busiest tokens, joins tokens to the audit trail's counts. cli, the `pat` command, is a
// program of its own that reaches the service over HTTP: it imports no other folder, and nothing
// in the library imports it (not even the root files). The files at the
// library's root (index.ts, the composing module, entities.ts) may import any folder, and no
// folder may import them. The service in src/ sees the library only through its public entries
// (index.ts, and dto.ts for the routes' DTOs), and
// nothing in the library imports src/.
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const LIBRARY = path.join(ROOT, 'libs/personal-access-tokens/src');
const SERVICE = path.join(ROOT, 'src');

/** The library folders each folder may import, besides itself. */
export const ALLOWED_IMPORTS = {
  core: [],
  scopes: ['core'],
  users: ['core', 'scopes'],
  tokens: ['core', 'scopes'],
  audit: ['core', 'scopes'],
  auth: ['core', 'scopes', 'tokens'],
  usage: ['core', 'scopes', 'tokens', 'audit'],
  page: ['core', 'scopes', 'tokens', 'auth'],
  oidc: ['core', 'scopes', 'users', 'tokens', 'auth', 'page'],
  'token-exchange': ['core', 'scopes', 'tokens'],
  cli: [],
};

const ROOT_FILES = '(library root)';

/** The library folder a path lies in, `ROOT_FILES` for the root's own files, undefined outside the library. */
function folderOf(file) {
  const relative = path.relative(LIBRARY, file);
  if (relative === '' || relative === 'index' || relative === 'index.ts') return ROOT_FILES;
  if (relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  const [first, ...rest] = relative.split(path.sep);
  return rest.length ? first : ROOT_FILES;
}

function isInside(directory, file) {
  const relative = path.relative(directory, file);
  return !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** Why importing `target` from `file` runs against the graph, or undefined when it does not. */
export function violation(file, target) {
  if (isInside(SERVICE, file)) {
    if (folderOf(target) === undefined || /^(index|dto)?(\.ts)?$/.test(path.relative(LIBRARY, target).replace(/^\/?/, ''))) return undefined;
    return "the service uses the library only through its public entries ('libs/personal-access-tokens/src', '…/src/dto')";
  }
  const from = folderOf(file);
  if (from === undefined) return undefined;
  if (isInside(SERVICE, target)) return 'the library must not import the service (src/)';
  const to = folderOf(target);
  if (to === 'cli' && from !== 'cli') return 'nothing in the library imports cli/ (the command-line client is a program of its own)';
  if (to === undefined || from === ROOT_FILES || to === from) return undefined;
  if (to === ROOT_FILES) return `${from}/ must not import the library's root files (the composition imports the modules, not the reverse)`;
  const allowed = ALLOWED_IMPORTS[from];
  if (!allowed) return `${from}/ is not in the module graph (eslint/module-graph.mjs): place it there first`;
  if (!allowed.includes(to))
    return allowed.length
      ? `${from}/ may import only ${allowed.join(', ')}, not ${to}/`
      : `${from}/ imports no other folder of the library, not ${to}/`;
  return undefined;
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: "Keeps the library's module imports a DAG: core <- scopes <- users | tokens <- auth | audit" },
    schema: [],
    messages: { graph: 'Import of {{source}} runs against the module graph: {{reason}}.' },
  },
  create(context) {
    const file = context.filename;
    const check = (source) => {
      if (!source || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const reason = violation(file, path.resolve(path.dirname(file), source.value));
      if (reason) context.report({ node: source, messageId: 'graph', data: { source: source.value, reason } });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    };
  },
};

export default { rules: { 'module-graph': rule } };
