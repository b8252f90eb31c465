import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

/**
 * HTTPS through the SafeFetcher, which connects BY IP: the certificate must still be checked against the
 * host NAME (SNI + verification), never skipped. A throw-away CA and a certificate for
 * `secure.cadence.test` are made with openssl; the fetch runs in a child process that trusts that CA
 * (NODE_EXTRA_CA_CERTS). Skipped when openssl is not installed.
 */
describe('SafeFetcher over HTTPS (certificate checked against the name, https → http redirect)', function () {
  this.timeout(60_000);
  const here = path.dirname(fileURLToPath(import.meta.url));
  let dir: string;
  let results: {
    byName: { ok: boolean; url?: string; body?: string; reason?: string };
    byIp: { ok: boolean; reason?: string };
    wrongName: { ok: boolean; reason?: string };
    downgrade: { ok: boolean; url?: string; body?: string; reason?: string };
    seen: { path: string; servername?: string; host?: string; authorization?: string }[];
  };

  before(function () {
    if (spawnSync('openssl', ['version']).status !== 0) this.skip();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cadence-tls-'));
    const file = (name: string) => path.join(dir, name);
    const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Cadence test CA',
      '-keyout', file('ca.key'), '-out', file('ca.pem'));
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=secure.cadence.test', '-keyout', file('server.key'), '-out', file('server.csr'));
    fs.writeFileSync(file('ext.cnf'), 'subjectAltName=DNS:secure.cadence.test\n');
    openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial',
      '-days', '2', '-extfile', file('ext.cnf'), '-out', file('server.pem'));

    const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, 'tls-child.ts'), file('server.key'), file('server.pem')], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: file('ca.pem') },
      encoding: 'utf8',
      timeout: 45_000,
    });
    if (child.status !== 0) throw new Error(`tls child failed: ${child.stderr}`);
    results = JSON.parse(child.stdout);
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fetches by name: connected to the pinned IP, SNI and certificate check on the name', () => {
    expect(results.byName).to.deep.include({ ok: true, body: '<h1>secure</h1>' });
    const first = results.seen.find((s) => s.path === '/');
    expect(first?.servername).to.equal('secure.cadence.test');
    expect(first?.host).to.match(/^secure\.cadence\.test:\d+$/);
  });

  it('refuses a certificate that does not cover the host (by IP, or another name) as unreachable', () => {
    expect(results.byIp).to.deep.equal({ ok: false, reason: 'unreachable' });
    expect(results.wrongName).to.deep.equal({ ok: false, reason: 'unreachable' });
  });

  it('follows an https → http redirect, dropping caller headers', () => {
    expect(results.downgrade.ok).to.equal(true);
    expect(results.downgrade.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/landing$/);
    const landing = results.seen.find((s) => s.path === 'plain:/landing');
    expect(landing).to.not.equal(undefined);
    expect(landing?.authorization).to.equal(undefined);
  });
});
