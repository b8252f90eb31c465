import type { Readable } from 'node:stream';
import type { i18n } from 'i18next';
import type { ObjectStorage } from '../brand/media-ports.js';
import { StorageObjectNotFoundError } from '../brand/media-ports.js';
import type { Clock } from '../../shared/clock.js';
import { NotFoundError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { ClaimedExport, KnexGdprRepository } from './db/knex-gdpr-repository.js';
import { CSV_BOM, csvLine, csvValue, ZipArchiveWriter } from './gdpr-archive.js';
import {
  exportExpiry,
  FILES_NOT_EXPORTED_FROM,
  isSecretColumn,
  type DataExport,
  type TenantTable,
} from './gdpr-domain.js';

const PAGE_SIZE = 500;
const BUILDS_PER_RUN = 2;
const LEASE_MS = 15 * 60 * 1000;
const LIST_LIMIT = 10;
// Already compressed: stored as they are rather than deflated again.
const COMPRESSED = /\.(jpe?g|png|gif|webp|avif|heic|mp3|mp4|m4a|ogg|webm|mov|pdf|zip|gz|docx|xlsx|pptx)$/i;

export interface ExportContents {
  tables: { name: string; rows: number }[];
  excludedColumns: string[];
  files: string[];
  missingFiles: string[];
}

/**
 * "Export everything": the client asks, `tenancy:build-data-exports` builds a zip in object storage — `data.json`
 * (every table of the catalogue with a `tenant_id`, the tenant's own row, the members' profiles), one CSV per table,
 * the tenant's stored files under `files/`, and a README listing what was left out (secrets) — and the link works
 * for `EXPORT_LINK_DAYS`. Rows are read page by page in the tenant's own context, so row-level security applies.
 */
export class GdprExportService {
  constructor(
    private readonly deps: { gdprRepository: KnexGdprRepository; mediaStorage: ObjectStorage; i18n: i18n; clock: Clock; logger: Logger },
  ) {}

  request(tenantId: string, userId: string): Promise<DataExport> {
    return this.deps.gdprRepository.requestExport(tenantId, userId);
  }

  /** The latest exports, each with whether its link still works. */
  async list(tenantId: string): Promise<(DataExport & { downloadable: boolean })[]> {
    const now = this.deps.clock.now();
    const exports = await this.deps.gdprRepository.listExports(tenantId, LIST_LIMIT);
    return exports.map((e) => ({ ...e, downloadable: isDownloadable(e, now) }));
  }

  /** The archive of a ready, unexpired export of this tenant; anything else is not found. */
  async download(tenantId: string, id: string): Promise<{ stream: Readable; filename: string; sizeBytes: number | null }> {
    const found = await this.deps.gdprRepository.findExport(tenantId, id);
    if (!found || !found.storageKey || !isDownloadable(found, this.deps.clock.now())) throw new NotFoundError('gdpr.errors.exportNotFound');
    try {
      const stream = await this.deps.mediaStorage.get(found.storageKey);
      const day = found.completedAt!.toISOString().slice(0, 10);
      return { stream, filename: `cadence-export-${day}.zip`, sizeBytes: found.sizeBytes };
    } catch (err) {
      if (err instanceof StorageObjectNotFoundError) throw new NotFoundError('gdpr.errors.exportNotFound');
      throw err;
    }
  }

  /** The job: archives of expired links are deleted, then a few waiting exports are built. */
  async buildDue(): Promise<{ built: number; failed: number; expired: number }> {
    const expired = await this.expireOld();
    const now = this.deps.clock.now();
    const claimed = await this.deps.gdprRepository.claimExports(now, new Date(now.getTime() + LEASE_MS), BUILDS_PER_RUN);
    let built = 0;
    let failed = 0;
    for (const claim of claimed) {
      try {
        await this.build(claim);
        built += 1;
      } catch (err) {
        failed += 1;
        this.deps.logger.error({ err, tenantId: claim.tenantId, exportId: claim.id }, 'data export failed');
        await this.deps.gdprRepository.markExportFailed(claim.tenantId, claim.id, err instanceof Error ? err.message : String(err), this.deps.clock.now());
      }
    }
    return { built, failed, expired };
  }

  /** Builds one claimed export into `<tenant>/exports/<id>.zip` (the same key again if a dead worker's build is redone). */
  async build(claim: ClaimedExport): Promise<ExportContents> {
    const { tenantId, id } = claim;
    const tables = [...(await this.deps.gdprRepository.tenantTables())].sort((a, b) => a.name.localeCompare(b.name));
    const storageKey = `${tenantId}/exports/${id}.zip`;
    const archive = new ZipArchiveWriter();
    const upload = this.deps.mediaStorage.put(storageKey, archive.stream, { contentType: 'application/zip' });
    upload.catch(() => undefined); // awaited below; an early failure surfaces through the archive's stream meanwhile
    let contents: ExportContents;
    try {
      const counts = await this.writeDataJson(archive, tenantId, tables);
      await this.writeCsvFiles(archive, tenantId, tables);
      const files = await this.writeFiles(archive, tenantId, tables);
      contents = {
        tables: tables.map((t) => ({ name: t.name, rows: counts.get(t.name) ?? 0 })),
        excludedColumns: tables.flatMap((t) => t.columns.filter((c) => isSecretColumn(c.name)).map((c) => `${t.name}.${c.name}`)),
        ...files,
      };
      await this.writeReadme(archive, tenantId, contents);
      await archive.finish();
      await upload;
    } catch (err) {
      archive.abort(err instanceof Error ? err : new Error(String(err)));
      await upload.catch(() => undefined);
      await this.deps.mediaStorage.delete(storageKey).catch(() => undefined);
      throw err;
    }
    const completedAt = this.deps.clock.now();
    const ready = await this.deps.gdprRepository.markExportReady(tenantId, id, {
      storageKey,
      sizeBytes: archive.size,
      tableCount: contents.tables.length,
      rowCount: contents.tables.reduce((sum, t) => sum + t.rows, 0),
      fileCount: contents.files.length,
      completedAt,
      expiresAt: exportExpiry(completedAt),
    });
    // another worker took the build over (this one outlived its lease): its archive, under the same key, wins
    if (!ready) this.deps.logger.warn({ tenantId, exportId: id }, 'data export finished after its lease');
    return contents;
  }

  private async expireOld(): Promise<number> {
    const now = this.deps.clock.now();
    const expired = await this.deps.gdprRepository.expiredExports(now);
    for (const e of expired) {
      if (e.storageKey) await this.deps.mediaStorage.delete(e.storageKey);
      await this.deps.gdprRepository.markExportExpired(e.tenantId, e.id, now);
    }
    return expired.length;
  }

  /** `data.json`: written row by row as PostgreSQL renders each one, never a whole table in memory. */
  private async writeDataJson(archive: ZipArchiveWriter, tenantId: string, tables: TenantTable[]): Promise<Map<string, number>> {
    const repo = this.deps.gdprRepository;
    const entry = archive.entry('data.json');
    const header = { format: 'cadence-data-export/1', exported_at: this.deps.clock.now().toISOString(), tenant_id: tenantId };
    await entry.write(`${JSON.stringify(header).slice(0, -1)},\n"tenant": ${(await repo.tenantRow(tenantId)) ?? 'null'},\n`);
    await entry.write(`"members": [${(await repo.memberProfiles(tenantId)).join(',\n')}],\n"tables": {`);
    const counts = new Map<string, number>();
    for (const [i, table] of tables.entries()) {
      await entry.write(`${i ? ',' : ''}\n${JSON.stringify(table.name)}: [`);
      let rows = 0;
      for await (const page of this.pages(tenantId, table)) {
        for (const row of page) await entry.write(`${rows++ ? ',' : ''}\n${row}`);
      }
      await entry.write(']');
      counts.set(table.name, rows);
    }
    await entry.write('\n}}\n');
    await entry.end();
    return counts;
  }

  /** `csv/<table>.csv` for every table (plus the tenant row and the members), read a second time page by page. */
  private async writeCsvFiles(archive: ZipArchiveWriter, tenantId: string, tables: TenantTable[]): Promise<void> {
    const repo = this.deps.gdprRepository;
    const single = async (name: string, columns: string[], rows: string[]) => {
      const entry = archive.entry(`csv/${name}.csv`);
      await entry.write(CSV_BOM + csvLine(columns));
      for (const row of rows) await entry.write(csvRow(columns, row));
      await entry.end();
    };
    const tenant = await repo.tenantRow(tenantId);
    await single('tenants', tenant ? Object.keys(JSON.parse(tenant)) : [], tenant ? [tenant] : []);
    await single('users', ['id', 'name', 'email', 'locale', 'created_at'], await repo.memberProfiles(tenantId));
    for (const table of tables) {
      const columns = table.columns.map((c) => c.name).filter((c) => !isSecretColumn(c));
      const entry = archive.entry(`csv/${table.name}.csv`);
      await entry.write(CSV_BOM + csvLine(columns));
      for await (const page of this.pages(tenantId, table)) {
        for (const row of page) await entry.write(csvRow(columns, row));
      }
      await entry.end();
    }
  }

  /** `files/<table>/<key without the tenant prefix>`: every object the tenant's rows name, except earlier exports. */
  private async writeFiles(archive: ZipArchiveWriter, tenantId: string, tables: TenantTable[]): Promise<{ files: string[]; missingFiles: string[] }> {
    const excluded: readonly string[] = FILES_NOT_EXPORTED_FROM;
    const keys = await this.deps.gdprRepository.storageKeys(tenantId, tables.filter((t) => !excluded.includes(t.name)));
    const seen = new Set<string>();
    const files: string[] = [];
    const missingFiles: string[] = [];
    for (const { table, key } of keys) {
      if (seen.has(key)) continue;
      seen.add(key);
      const name = `files/${table}/${key.startsWith(`${tenantId}/`) ? key.slice(tenantId.length + 1) : key}`;
      let source: Readable;
      try {
        source = await this.deps.mediaStorage.get(key);
      } catch (err) {
        if (!(err instanceof StorageObjectNotFoundError)) throw err;
        missingFiles.push(name);
        continue;
      }
      await archive.addStream(name, source, { compress: !COMPRESSED.test(key) });
      files.push(name);
    }
    return { files, missingFiles };
  }

  private async writeReadme(archive: ZipArchiveWriter, tenantId: string, contents: ExportContents): Promise<void> {
    const state = await this.deps.gdprRepository.tenantState(tenantId);
    const t = this.deps.i18n.getFixedT(state?.locale === 'en' ? 'en' : 'fr');
    const lines = [
      t('gdpr.readme.title', { tenant: state?.name ?? tenantId }),
      '',
      t('gdpr.readme.intro'),
      '',
      t('gdpr.readme.layout'),
      '',
      t('gdpr.readme.tables'),
      ...contents.tables.map((x) => `  ${x.name}: ${x.rows}`),
      '',
      t('gdpr.readme.excluded'),
      ...contents.excludedColumns.map((c) => `  ${c}`),
      `  users.password_hash`,
      '',
      t('gdpr.readme.files', { count: contents.files.length }),
      ...(contents.missingFiles.length ? ['', t('gdpr.readme.missing'), ...contents.missingFiles.map((f) => `  ${f}`)] : []),
      '',
    ];
    const entry = archive.entry('README.txt');
    await entry.write(lines.join('\r\n'));
    await entry.end();
  }

  private async *pages(tenantId: string, table: TenantTable): AsyncGenerator<string[]> {
    let after: unknown[] | null = null;
    do {
      const page = await this.deps.gdprRepository.readPage(tenantId, table, after, PAGE_SIZE);
      if (page.rows.length) yield page.rows;
      after = page.after;
    } while (after);
  }
}

function isDownloadable(e: DataExport, now: Date): boolean {
  return e.status === 'ready' && e.expiresAt !== null && e.expiresAt > now;
}

function csvRow(columns: string[], json: string): string {
  const row = JSON.parse(json) as Record<string, unknown>;
  return csvLine(columns.map((c) => csvValue(row[c])));
}
