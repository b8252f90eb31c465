import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

/**
 * A real SMTP server for tests (smtp-server), on 127.0.0.1 and a random port. Every accepted message is parsed
 * (mailparser) and kept in `messages` before the server answers 250, so once `mailer.send()` resolves the
 * message is there; `waitFor` serves messages sent in the background.
 *
 *   const smtp = await TestSmtpServer.start({ auth: { user: 'cadence', pass: 'secret' } });
 *   … SMTP_URL: smtp.url …
 *   smtp.rejectRecipient('gone@example.com', 550);   // 550 → permanent, 451 → temporary
 *   const mail = await smtp.waitFor((m) => m.envelope.to.includes('client@example.com'));
 *   smtp.reset();          // between tests
 *   await smtp.close();    // after the suite
 *
 * Without `tls`, no STARTTLS is offered and AUTH is accepted over the clear connection. With `tls` (a key and a
 * certificate, e.g. from `makeTestCertificates`), STARTTLS is offered, or TLS starts with the connection (`implicit`).
 */
export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  /** The user the client authenticated as, when it did. */
  user?: string;
  /** The message travelled over TLS (implicit or after STARTTLS). */
  secure: boolean;
  /** The message as received (headers and body). */
  raw: string;
  parsed: ParsedMail;
}

export interface TestSmtpServerOptions {
  /** Require AUTH (PLAIN or LOGIN) with these credentials; without it, any client may send. */
  auth?: { user: string; pass: string };
  /** RCPT TO replies per recipient: e.g. 550 (permanent) or 451 (temporary). Same as `rejectRecipient`. */
  rejectRecipients?: Record<string, number>;
  /** Largest message accepted (SIZE extension); beyond it the server answers 552. */
  maxSize?: number;
  /** Serve TLS with this key and certificate (PEM): STARTTLS, or from the first byte when `implicit`. */
  tls?: { key: string; cert: string; implicit?: boolean };
}

type Waiter = { predicate: (mail: ReceivedMail) => boolean; resolve: (mail: ReceivedMail) => void };

export class TestSmtpServer {
  readonly messages: ReceivedMail[] = [];
  /** Connection-level errors the server saw (a client that gave up during the TLS handshake…). */
  readonly errors: Error[] = [];
  private readonly rejections = new Map<string, number>();
  private readonly waiters = new Set<Waiter>();
  private listeningPort = 0;

  private constructor(
    private readonly server: SMTPServer,
    readonly options: TestSmtpServerOptions,
  ) {
    for (const [address, code] of Object.entries(options.rejectRecipients ?? {})) this.rejectRecipient(address, code);
  }

  static async start(options: TestSmtpServerOptions = {}): Promise<TestSmtpServer> {
    let self: TestSmtpServer | undefined;
    const server = new SMTPServer({
      name: 'smtp.test.local',
      logger: false,
      disabledCommands: [...(options.tls ? [] : ['STARTTLS']), ...(options.auth ? [] : ['AUTH'])],
      secure: options.tls?.implicit ?? false,
      key: options.tls?.key,
      cert: options.tls?.cert,
      allowInsecureAuth: true,
      authOptional: !options.auth,
      size: options.maxSize,
      rejectOversized: Boolean(options.maxSize),
      onAuth(auth, _session, callback) {
        const expected = options.auth;
        if (expected && auth.username === expected.user && auth.password === expected.pass) return callback(null, { user: auth.username });
        callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onRcptTo(address, _session, callback) {
        const code = self!.rejections.get(address.address.toLowerCase());
        if (!code) return callback();
        const text = code >= 500 ? `Mailbox unavailable: ${address.address}` : `Mailbox busy, try again later: ${address.address}`;
        callback(Object.assign(new Error(text), { responseCode: code }));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          if (stream.sizeExceeded) return callback(Object.assign(new Error('Message too large'), { responseCode: 552 }));
          self!.receive(Buffer.concat(chunks), session).then(
            () => callback(null, `Queued as ${session.id}`),
            (err: Error) => callback(err),
          );
        });
      },
    });
    self = new TestSmtpServer(server, options);
    server.on('error', (err: Error) => self!.errors.push(err));
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    self.listeningPort = (server.server.address() as AddressInfo).port;
    return self;
  }

  get port(): number {
    return this.listeningPort;
  }

  /** `smtp://user:pass@127.0.0.1:<port>`, credentials included when the server requires them. */
  get url(): string {
    const auth = this.options.auth ? `${encodeURIComponent(this.options.auth.user)}:${encodeURIComponent(this.options.auth.pass)}@` : '';
    return `smtp://${auth}127.0.0.1:${this.listeningPort}`;
  }

  /** Answers RCPT TO for this address with `code` (550: permanent, 451: temporary). */
  rejectRecipient(address: string, code: number): void {
    this.rejections.set(address.toLowerCase(), code);
  }

  /** Resolves with the first message (already received or to come) that matches; rejects after `timeoutMs`. */
  waitFor(predicate: (mail: ReceivedMail) => boolean, timeoutMs = 5_000): Promise<ReceivedMail> {
    const found = this.messages.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (mail) => {
          clearTimeout(timer);
          resolve(mail);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const seen = this.messages.map((m) => `${m.envelope.to.join(',')}: ${m.parsed.subject ?? ''}`);
        reject(new Error(`no matching message within ${timeoutMs} ms (received: ${seen.join('; ') || 'none'})`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Forgets received messages, errors and recipient rejections. */
  reset(): void {
    this.messages.length = 0;
    this.errors.length = 0;
    this.rejections.clear();
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async receive(raw: Buffer, session: SMTPServerSession): Promise<void> {
    const envelope = session.envelope;
    const mail: ReceivedMail = {
      envelope: { from: envelope.mailFrom ? envelope.mailFrom.address : '', to: envelope.rcptTo.map((r) => r.address) },
      user: typeof session.user === 'string' ? session.user : undefined,
      secure: session.secure,
      raw: raw.toString('utf8'),
      parsed: await simpleParser(raw),
    };
    this.messages.push(mail);
    for (const waiter of this.waiters) {
      if (!waiter.predicate(mail)) continue;
      this.waiters.delete(waiter);
      waiter.resolve(mail);
    }
  }
}

/**
 * A throw-away CA and a certificate it signed for `names` (DNS names and IP addresses), made with openssl; `null`
 * when openssl is not installed (the caller skips). Files live in a temporary directory removed by `cleanup()`.
 */
export function makeTestCertificates(names: string[]): { ca: string; key: string; cert: string; cleanup: () => void } | null {
  if (spawnSync('openssl', ['version']).status !== 0) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cadence-smtp-tls-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Cadence SMTP test CA', '-keyout', file('ca.key'), '-out', file('ca.pem'));
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${names[0]}`, '-keyout', file('server.key'), '-out', file('server.csr'));
  const san = names.map((name) => (net.isIP(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
  fs.writeFileSync(file('ext.cnf'), `subjectAltName=${san}\n`);
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', file('ext.cnf'), '-out', file('server.pem'));
  return {
    ca: fs.readFileSync(file('ca.pem'), 'utf8'),
    key: fs.readFileSync(file('server.key'), 'utf8'),
    cert: fs.readFileSync(file('server.pem'), 'utf8'),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
