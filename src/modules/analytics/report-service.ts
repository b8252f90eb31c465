import type { Readable } from 'node:stream';
import type { i18n } from 'i18next';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import { NotFoundError, ValidationError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { parseInput } from '../../shared/validation.js';
import { StorageObjectNotFoundError, type ObjectStorage } from '../brand/media-ports.js';
import { METRICS_LAG_DAYS } from '../pipeline/month-performance.js';
import type { KnexReportRepository, ReportRow } from './db/knex-report-repository.js';
import { renderReportCsv } from './report-csv.js';
import { periodOfDays, type ReportFiguresService } from './report-figures.js';
import { reportLocale } from './report-format.js';
import { renderReportPdf } from './report-pdf.js';

export type { ReportRow } from './db/knex-report-repository.js';

/** A generation not finished after this long was abandoned by its process: the next pass takes it over. */
const STALE_GENERATION_MS = 10 * 60 * 1000;
/** An on-demand report covers at most this many days. */
export const MAX_REPORT_DAYS = 366;

const day = z.string().trim().regex(/^\d{4}-\d{2}-\d{2}$/, 'revenue.reports.errors.dayInvalid').refine((v) => DateTime.fromISO(v).isValid, 'revenue.reports.errors.dayInvalid');
export const reportRequestSchema = z.object({ firstDay: day, lastDay: day });

export interface MonthlyRun {
  created: number;
  generated: number;
  failed: number;
}

export interface OpenedReportFile {
  stream: Readable;
  contentType: string;
  fileName: string;
  size: number | null;
}

/**
 * The client's reports: a PDF ready to forward and a CSV of the same figures, in the tenant's language, stored under
 * the tenant's prefix of the media storage. A report row goes pending → generating → ready or failed; generating is
 * claimed by one conditional update, so two workers never write the same report, and a generation abandoned by a dead
 * process is taken over after `STALE_GENERATION_MS`. Monthly reports are made once per month and language (unique
 * index), when the month has ended in the tenant's zone and the networks' figures have had `METRICS_LAG_DAYS` to
 * arrive; on-demand ones are generated at once for the period asked.
 */
export class ReportService {
  constructor(
    private readonly deps: {
      reportRepository: KnexReportRepository;
      reportFigures: ReportFiguresService;
      mediaStorage: ObjectStorage;
      i18n: i18n;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  list(tenantId: string): Promise<ReportRow[]> {
    return this.deps.reportRepository.list(tenantId);
  }

  async get(tenantId: string, id: string): Promise<ReportRow> {
    const report = await this.deps.reportRepository.find(tenantId, id);
    if (!report) throw new NotFoundError();
    return report;
  }

  /** "Generate now": a report of the days asked (in the tenant's zone), up to today. */
  async requestNow(tenantId: string, form: { firstDay?: unknown; lastDay?: unknown }, requestedBy: string): Promise<ReportRow> {
    const input = parseInput(reportRequestSchema, form);
    const tenant = await this.deps.reportRepository.tenantProfile(tenantId);
    const today = DateTime.fromJSDate(this.deps.clock.now(), { zone: tenant.timezone }).toISODate()!;
    if (input.lastDay < input.firstDay) throw new ValidationError({ lastDay: 'revenue.reports.errors.periodOrder' });
    if (input.lastDay > today) throw new ValidationError({ lastDay: 'revenue.reports.errors.future' });
    const days = DateTime.fromISO(input.lastDay).diff(DateTime.fromISO(input.firstDay), 'days').days + 1;
    if (days > MAX_REPORT_DAYS) throw new ValidationError({ firstDay: 'revenue.reports.errors.tooLong' });
    const id = await this.deps.reportRepository.insertOnDemand(tenantId, { periodStart: input.firstDay, periodEnd: input.lastDay, locale: tenant.locale, requestedBy });
    await this.generate(tenantId, id);
    return this.get(tenantId, id);
  }

  /** Generates one report if it is waiting (or abandoned); true when this call made it ready. */
  async generate(tenantId: string, id: string): Promise<boolean> {
    const now = this.deps.clock.now();
    const report = await this.deps.reportRepository.claim(tenantId, id, new Date(now.getTime() - STALE_GENERATION_MS));
    if (!report) return false;
    try {
      const tenant = await this.deps.reportRepository.tenantProfile(tenantId);
      const period = periodOfDays(report.periodStart, report.periodEnd, tenant.timezone);
      const figures = await this.deps.reportFigures.periodFigures(tenantId, period);
      const t = this.deps.i18n.getFixedT(reportLocale(report.locale));
      const pdf = await renderReportPdf({ figures, kind: report.kind, locale: report.locale, generatedAt: now, t });
      const csv = Buffer.from(renderReportCsv(figures, report.locale, t), 'utf8');
      const prefix = `${tenantId}/reports/${report.id}`;
      await this.deps.mediaStorage.put(`${prefix}/report.pdf`, pdf, { contentType: 'application/pdf' });
      await this.deps.mediaStorage.put(`${prefix}/report.csv`, csv, { contentType: 'text/csv; charset=utf-8' });
      return await this.deps.reportRepository.markReady(tenantId, id, {
        pdfStorageKey: `${prefix}/report.pdf`,
        csvStorageKey: `${prefix}/report.csv`,
        pdfBytes: pdf.length,
        csvBytes: csv.length,
        generatedAt: now,
      });
    } catch (err) {
      this.deps.logger.error({ err, tenantId, reportId: id }, 'report generation failed');
      await this.deps.reportRepository.markFailed(tenantId, id, err instanceof Error ? err.message : String(err));
      return false;
    }
  }

  /**
   * The daily job: creates the monthly report of every active tenant whose previous month has ended in its zone
   * (and had the networks' lag to settle), once per month and language; then generates every report still waiting,
   * including those a crash left behind. Running it twice the same day does nothing more.
   */
  async runMonthly(): Promise<MonthlyRun> {
    const now = this.deps.clock.now();
    const run: MonthlyRun = { created: 0, generated: 0, failed: 0 };
    for (const tenant of await this.deps.reportRepository.activeTenants()) {
      const monthEnd = DateTime.fromJSDate(now, { zone: tenant.timezone }).startOf('month');
      if (now < monthEnd.plus({ days: METRICS_LAG_DAYS }).toJSDate()) continue;
      if (tenant.createdAt >= monthEnd.toJSDate()) continue; // the tenant did not exist during that month
      const month = monthEnd.minus({ months: 1 });
      try {
        const { created } = await this.deps.reportRepository.ensureMonthly(tenant.id, {
          periodStart: month.toISODate()!,
          periodEnd: monthEnd.minus({ days: 1 }).toISODate()!,
          locale: tenant.locale,
        });
        if (created) run.created += 1;
      } catch (err) {
        this.deps.logger.error({ err, tenantId: tenant.id }, 'monthly report not created');
      }
    }
    for (const { tenantId, id } of await this.deps.reportRepository.pendingReports(new Date(now.getTime() - STALE_GENERATION_MS))) {
      if (await this.generate(tenantId, id)) run.generated += 1;
      else if ((await this.deps.reportRepository.find(tenantId, id))?.status === 'failed') run.failed += 1;
    }
    return run;
  }

  /** A ready report's file, looked up in the viewer's tenant (another tenant's id is not found). */
  async open(tenantId: string, id: string, format: 'pdf' | 'csv'): Promise<OpenedReportFile> {
    const report = await this.get(tenantId, id);
    const key = format === 'pdf' ? report.pdfStorageKey : report.csvStorageKey;
    if (report.status !== 'ready' || !key) throw new NotFoundError();
    try {
      const stream = await this.deps.mediaStorage.get(key);
      const t = this.deps.i18n.getFixedT(reportLocale(report.locale));
      return {
        stream,
        contentType: format === 'pdf' ? 'application/pdf' : 'text/csv; charset=utf-8',
        fileName: `${t('revenue.report.fileName')}-${report.periodStart}-${report.periodEnd}.${format}`,
        size: format === 'pdf' ? report.pdfBytes : report.csvBytes,
      };
    } catch (err) {
      if (err instanceof StorageObjectNotFoundError) {
        this.deps.logger.warn({ tenantId, reportId: id, format }, 'report file missing from storage');
        throw new NotFoundError();
      }
      throw err;
    }
  }
}
