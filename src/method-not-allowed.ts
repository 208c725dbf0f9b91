import type { FastifyInstance } from 'fastify';
import { STATUS_CODES } from 'node:http';

/**
 * Answers 405 with `Allow` for a path that some route serves, but not with this method (TRACE,
 * QUERY, a PUT where only PATCH exists): Fastify alone says 404, as if the path did not exist.
 * A parametric route that matched a path some static route serves (PATCH `…/self` caught by
 * `…/:id`) answers 405 too: `self` is its own resource, not an id to refuse with 400.
 * Routes are learnt as they are registered, so this must be installed before the app's init.
 */
export function answerMethodNotAllowed(fastify: FastifyInstance): void {
  const routes: { pattern: RegExp; methods: Set<string>; static: boolean }[] = [];
  fastify.addHook('onRoute', (route) => {
    if (route.url.includes('*')) return;
    const source = route.url
      .split('/')
      .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
    const pattern = new RegExp(`^${source}/?$`);
    const existing = routes.find((entry) => entry.pattern.source === pattern.source);
    const methods = existing?.methods ?? new Set<string>();
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) methods.add(method);
    if (!existing) routes.push({ pattern, methods, static: !route.url.includes(':') });
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    const matched = request.routeOptions.url;
    // A static route matched, or a parametric one on a path no static route serves; else Fastify's 404 route.
    if (matched !== undefined && !matched.includes(':')) return done();
    const query = request.url.indexOf('?');
    const path = query < 0 ? request.url : request.url.slice(0, query);
    // A static route's path is its own resource: what a parametric route serves is not allowed there.
    const serving = routes.filter((route) => route.pattern.test(path));
    const own = serving.some((route) => route.static) ? serving.filter((route) => route.static) : matched === undefined ? serving : [];
    const allowed = new Set(own.flatMap((route) => [...route.methods]));
    if (allowed.size === 0 || allowed.has(request.method)) return done();
    void reply
      .code(405)
      .header('Allow', [...allowed].join(', '))
      .send({
        statusCode: 405,
        error: STATUS_CODES[405],
        code: 'method_not_allowed',
        message: `This path answers ${[...allowed].join(', ')}`,
        requestId: request.id,
      });
  });
}
