import { appendFileSync } from 'node:fs';
import { connect } from 'node:net';

/** The same error, but for the request id (no oracle between kinds of refusal). */
export function withoutRequestId(body: Record<string, unknown>): Record<string, unknown> {
  const { requestId: _requestId, ...rest } = body;
  return rest;
}

/** 64 hex characters: what an HMAC-SHA256 digest looks like, wherever it would leak. */
export const DIGEST = /\b[0-9a-f]{64}\b/i;

export interface RawResponse {
  status: number;
  head: string;
  body: string;
}

/**
 * Sends raw bytes to a listening server and reads the answer: for requests that `inject` (and
 * any well-behaved client) refuses to build, such as NUL or CR/LF inside a header value.
 */
export function rawRequest(port: number, payload: Buffer | string, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error('no answer in time')), timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (!match) return reject(new Error(`no HTTP status line in ${JSON.stringify(text.slice(0, 200))}`));
      const split = text.indexOf('\r\n\r\n');
      resolve({ status: Number(match[1]), head: text.slice(0, split), body: split >= 0 ? text.slice(split + 4) : '' });
    };
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', finish);
    socket.on('close', () => (chunks.length ? finish() : undefined));
    socket.on('error', (error) => (chunks.length ? finish() : (clearTimeout(timer), reject(error))));
    // No half-close: a server may drop a request whose client ended before the answer. The request
    // says `Connection: close`, so the server closes once it has answered (or refused) it.
    socket.write(payload);
  });
}

/** A GET request with one extra raw header line, as bytes. */
export function rawGet(path: string, headerLines: Buffer[]): Buffer {
  return Buffer.concat([
    Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n`, 'latin1'),
    ...headerLines.flatMap((line) => [line, Buffer.from('\r\n')]),
    Buffer.from('\r\n'),
  ]);
}

/**
 * Figures for the README's Security section: appended as JSON lines to the file named by
 * HARDENING_FIGURES when it is set (`HARDENING_FIGURES=/tmp/figures.jsonl npm test`), else dropped.
 */
export function recordFigures(suite: string, figures: Record<string, number | string>): void {
  const file = process.env.HARDENING_FIGURES;
  if (file) appendFileSync(file, JSON.stringify({ suite, ...figures }) + '\n');
}
