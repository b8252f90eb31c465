/**
 * Run by `tls.test.ts` in a child process started with NODE_EXTRA_CA_CERTS=<test CA> (the only way to make
 * Node trust a test CA without giving the fetcher a CA option). Prints one JSON object with the outcomes.
 * argv: <server key> <server cert for secure.cadence.test>
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { SafeFetcher } from '../../../../src/adapters/fetch/safe-fetcher.js';
import { FetchRefusedError } from '../../../../src/shared/url-fetcher.js';

const [keyFile, certFile] = process.argv.slice(2);
const seen: { path: string; servername?: string; host?: string; authorization?: string }[] = [];

const secure = https.createServer({ key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) }, (req, res) => {
  const socket = req.socket as import('node:tls').TLSSocket;
  seen.push({ path: req.url ?? '', servername: socket.servername || undefined, host: req.headers.host });
  if (req.url === '/down') {
    res.writeHead(302, { location: `http://127.0.0.1:${plainPort}/landing` }).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<h1>secure</h1>');
});
const plain = http.createServer((req, res) => {
  seen.push({ path: `plain:${req.url}`, authorization: req.headers.authorization });
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<h1>plain</h1>');
});
await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
const securePort = (secure.address() as AddressInfo).port;
const plainPort = (plain.address() as AddressInfo).port;

const fetcher = new SafeFetcher({
  allowLoopbackPorts: [securePort, plainPort],
  resolve: async () => ['127.0.0.1'],
});

async function outcome(url: string, headers: Record<string, string> = {}) {
  try {
    const res = await fetcher.fetch(url, { respectRobots: false, timeoutMs: 5000, headers });
    return { ok: true, url: res.url, body: res.body.toString('utf8') };
  } catch (err) {
    return { ok: false, reason: err instanceof FetchRefusedError ? err.reason : String(err) };
  }
}

const results = {
  byName: await outcome(`https://secure.cadence.test:${securePort}/`),
  byIp: await outcome(`https://127.0.0.1:${securePort}/`),
  wrongName: await outcome(`https://wrong.cadence.test:${securePort}/`),
  downgrade: await outcome(`https://secure.cadence.test:${securePort}/down`, { authorization: 'Bearer t0ken' }),
  seen,
};
process.stdout.write(JSON.stringify(results));
secure.closeAllConnections();
plain.closeAllConnections();
secure.close();
plain.close();
