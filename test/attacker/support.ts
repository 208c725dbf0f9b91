import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AuditEvent, AuditWriter } from '../support/library-internals';
import { RequestOptions, Response, TestApp } from '../support/test-app';

/** `[[[…]]]`, `depth` deep, as JSON text (a JavaScript value that deep would overflow a recursive serializer). */
export function deepArray(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** `{"k0":"v","k1":"v",…}` as JSON text. */
export function wideObject(keys: number): string {
  return '{' + Array.from({ length: keys }, (_, i) => `"k${i}":"v"`).join(',') + '}';
}

/** Sends a JSON body given as text, with a fresh request id, and answers the response and that id. */
export async function sendRaw(t: TestApp, method: string, url: string, json: string, options: RequestOptions = {}) {
  const requestId = `attacker-${randomBytes(8).toString('hex')}`;
  const response: Response = await t.request(method, url, {
    ...options,
    body: json,
    headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...options.headers },
  });
  return { response, requestId };
}

/** The request events (not system ones) recorded for one request id, once the writer has flushed. */
export async function eventsOf(t: TestApp, requestId: string): Promise<AuditEvent[]> {
  await t.app.get(AuditWriter).flush();
  const events = await t.app.get(DataSource).getRepository(AuditEvent).find({ where: { requestId } });
  return events.filter((event) => event.authMethod !== 'system');
}

/** A stand-in build of the page (the browser suite builds the real one), removed by the returned function. */
export function fakePageBuild(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'pat-attacker-page-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><html lang="en"><head></head><body></body></html>');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Signs in on the page the way its script does (same origin), answering the response and the cookie pair. */
export async function pageSignIn(t: TestApp, email: string, password: string, headers: Record<string, string> = {}) {
  const response = await t.post(
    '/page/api/session',
    { email, password },
    { headers: { host: 'pat.example.test', origin: 'http://pat.example.test', ...headers } },
  );
  const setCookie = String(response.headers['set-cookie'] ?? '');
  return { response, setCookie, cookie: setCookie.split(';')[0] };
}
