import autocannon from 'autocannon';
import type { LoadResult, LoadSpec } from './load';

/**
 * The load generator, in a process of its own so that it never shares an event loop with the
 * orchestrator or the server. It takes one LoadSpec at a time over IPC and answers a LoadResult.
 * Requests are built once up front: per-request rebuilding would cost the generator CPU that the
 * server needs on a 2-core machine; only a body with `[<id>]` (made unique per request: token
 * names) is rebuilt each time.
 */
const UNIQUE = '[<id>]';
const runId = Date.now().toString(36);
let sequence = 0;

function requestsOf(spec: LoadSpec): autocannon.Request[] {
  const variants = Math.max(spec.bearer?.length ?? 0, spec.bodies?.length ?? 0, 1);
  return Array.from({ length: variants }, (_, i) => {
    const headers: Record<string, string> = { ...spec.headers };
    if (spec.bearer?.length) headers.authorization = `Bearer ${spec.bearer[i % spec.bearer.length]}`;
    const body = spec.bodies?.length ? spec.bodies[i % spec.bodies.length] : undefined;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (body?.includes(UNIQUE)) {
      // autocannon's own idReplacement announces a Content-Length that its ids do not match.
      const setupRequest = (request: autocannon.Request) => ({ ...request, body: body.replace(UNIQUE, `${runId}-${++sequence}`) });
      return { method: spec.method, path: spec.path, headers, body, setupRequest };
    }
    return { method: spec.method, path: spec.path, headers, body };
  });
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.duration,
    requests: requestsOf(spec),
  });
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = count;
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
  };
}

process.on('message', (message: { id: number; spec: LoadSpec }) => {
  run(message.spec).then(
    (result) => process.send?.({ id: message.id, result }),
    (error: unknown) => process.send?.({ id: message.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
process.send?.({ ready: true });
