import type { FastifyInstance } from 'fastify';
import { STATUS_CODES } from 'node:http';

/**
 * Answers 405 with `Allow` for a path that some route serves, but not with this method (TRACE,
 * QUERY, a PUT where only PATCH exists): Fastify alone says 404, as if the path did not exist.
 * Routes are learnt as they are registered, so this must be installed before the app's init.
 */
export function answerMethodNotAllowed(fastify: FastifyInstance): void {
  const routes: { pattern: RegExp; methods: Set<string> }[] = [];
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
    if (!existing) routes.push({ pattern, methods });
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    // A matched route, or Fastify's 404 route for a path no route serves.
    if (request.routeOptions.url !== undefined) return done();
    const query = request.url.indexOf('?');
    const path = query < 0 ? request.url : request.url.slice(0, query);
    const allowed = new Set<string>();
    for (const route of routes) if (route.pattern.test(path)) for (const method of route.methods) allowed.add(method);
    if (allowed.size === 0) return done();
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
