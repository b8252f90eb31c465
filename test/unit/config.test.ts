import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config.js';

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('Config', () => {
  it('runs with no configuration at all: embedded database, port 3000, French demo', () => {
    const config = loadConfig({});
    expect(config.database).to.deep.equal({ kind: 'embedded' });
    expect(config.port).to.equal(3000);
    expect(config.demo).to.equal(true);
    expect(config.dataDir).to.match(/data$/);
  });

  it('uses the PostgreSQL server named by DATABASE_URL', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' });
    expect(config.database).to.deep.equal({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/test' });
  });

  it('names the variable of every bad value', () => {
    const err = errorOf({ PORT: 'eighty', DATABASE_URL: 'mysql://x', MASTER_KEY: 'short' });
    const variables = err.issues.map((i) => i.variable).sort();
    expect(variables).to.deep.equal(['DATABASE_URL', 'MASTER_KEY', 'PORT']);
    expect(err.message).to.include('DATABASE_URL: must be a postgres:// or postgresql:// URL');
  });

  it('refuses demo accounts and a missing session secret in production', () => {
    expect(errorOf({ NODE_ENV: 'production', DEMO: 'true', SESSION_SECRET: 'x'.repeat(40) }).issues[0].variable).to.equal('DEMO');
    expect(errorOf({ NODE_ENV: 'production' }).issues[0].variable).to.equal('SESSION_SECRET');
    expect(loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(40) }).demo).to.equal(false);
  });

  it('keeps media on local disk by default, and requires a bucket for S3', () => {
    expect(loadConfig({}).mediaStorage).to.deep.equal({ kind: 'local' });
    expect(errorOf({ MEDIA_STORAGE: 's3' }).issues[0].variable).to.equal('MEDIA_S3_BUCKET');
    const s3 = loadConfig({ MEDIA_STORAGE: 's3', MEDIA_S3_BUCKET: 'media', MEDIA_S3_ENDPOINT: 'https://s3.fr-par.scw.cloud' }).mediaStorage;
    expect(s3).to.deep.include({ kind: 's3' });
    expect(s3.kind === 's3' && s3.s3.forcePathStyle).to.equal(true);
  });

  it('refuses a port out of range', () => {
    expect(errorOf({ PORT: '70000' }).issues[0].variable).to.equal('PORT');
  });
});
