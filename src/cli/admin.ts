// npm run admin -- create-super-admin --email <email> [--name <name>]
// The password is read from stdin when piped, otherwise generated and printed once.
import crypto from 'node:crypto';
import { Command } from 'commander';
import { z } from 'zod';
import { loadConfig } from '../config.js';
import { buildContainer } from '../container.js';
import { openDatabase, prepareSchema } from '../adapters/db/bootstrap.js';
import { createLogger } from '../shared/logger.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

const program = new Command('admin');
program
  .command('create-super-admin')
  .requiredOption('--email <email>', 'email of the super admin')
  .option('--name <name>', 'display name', 'Super admin')
  .action(async (options: { email: string; name: string }) => {
    const email = z.email().safeParse(options.email.trim().toLowerCase());
    if (!email.success) {
      console.error(`--email: not a valid email address: ${options.email}`);
      process.exit(2);
    }
    const piped = await readStdin();
    if (piped && piped.length < 12) {
      console.error('the password read from stdin must be at least 12 characters');
      process.exit(2);
    }
    const password = piped || crypto.randomBytes(18).toString('base64url');
    const config = loadConfig();
    const db = await openDatabase(config);
    await prepareSchema(db.url, config, createLogger('warn'));
    const container = buildContainer(config, db);
    try {
      const { userRepository, membershipRepository, passwordHasher } = container.cradle;
      const existing = await userRepository.findByEmail(email.data);
      const userId = existing
        ? existing.id
        : (await userRepository.create({ email: email.data, name: options.name, passwordHash: await passwordHasher.hash(password), locale: 'fr' })).id;
      if (existing) await userRepository.setPassword(userId, await passwordHasher.hash(password));
      await membershipRepository.grantPlatformRole(userId, 'super_admin');
      console.log(`super admin ${email.data} ${existing ? 'updated' : 'created'}`);
      if (!piped) console.log(`password (shown once): ${password}`);
    } finally {
      await container.dispose();
      await db.stop();
    }
  });

await program.parseAsync(process.argv);
