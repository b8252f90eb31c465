import { z } from 'zod';
import { AppError, NotFoundError, ValidationError } from '../../shared/errors.js';
import { parseInput } from '../../shared/validation.js';
import {
  DEFAULT_CURRENCY,
  MAX_METRIC_NAME,
  METRIC_KINDS,
  METRIC_UNITS,
  customNameError,
  parseDecimal,
  parseMonth,
  unitOfKind,
  type BusinessMetric,
  type MetricKind,
  type MetricUnit,
} from './business-metric-domain.js';
import type { KnexBusinessMetricRepository, MetricValue } from './db/knex-business-metric-repository.js';

const text = (max: number) => z.string().trim().max(max, 'revenue.errors.tooLong');

/** The form of one monthly value, as typed (the value is text: French decimals are read by `parseDecimal`). */
export const metricFormSchema = z.object({
  month: z.string().trim().refine((v) => parseMonth(v) !== null, 'revenue.errors.monthInvalid'),
  kind: z.enum(METRIC_KINDS, { message: 'revenue.errors.kindInvalid' }),
  name: text(MAX_METRIC_NAME).default(''),
  unit: z.enum(METRIC_UNITS, { message: 'revenue.errors.unitInvalid' }).default('count'),
  currency: z.string().trim().toUpperCase().regex(/^[A-Z]{3}$/, 'revenue.errors.currencyInvalid').default(DEFAULT_CURRENCY),
  value: z.string().trim().min(1, 'revenue.errors.valueRequired').max(40, 'revenue.errors.valueInvalid'),
  notes: text(2000).default(''),
});
export type MetricForm = z.input<typeof metricFormSchema>;

/** The change of an existing value: its month and metric stay, the value (and a custom metric's unit) change. */
const metricEditSchema = metricFormSchema.pick({ unit: true, currency: true, value: true, notes: true });

/** Unit, currency and integer value of a typed value, or the field errors. */
function valueOf(kind: MetricKind, input: { unit: MetricUnit; currency: string; value: string }): { unit: MetricUnit; currency: string | null; value: number } {
  const unit = kind === 'custom' ? input.unit : unitOfKind(kind);
  const parsed = parseDecimal(input.value, unit === 'cents' ? 2 : 0);
  if (!parsed.ok) throw new ValidationError({ value: parsed.code });
  return { unit, currency: unit === 'cents' ? input.currency : null, value: parsed.value };
}

/** Monthly business metrics entered by hand: list, create, change, delete (only what the client entered or imported). */
export class BusinessMetricService {
  constructor(private readonly deps: { businessMetricRepository: KnexBusinessMetricRepository }) {}

  list(tenantId: string): Promise<BusinessMetric[]> {
    return this.deps.businessMetricRepository.list(tenantId);
  }

  async get(tenantId: string, id: string): Promise<BusinessMetric> {
    const metric = await this.deps.businessMetricRepository.find(tenantId, id);
    if (!metric) throw new NotFoundError();
    return metric;
  }

  async create(tenantId: string, form: MetricForm, enteredBy: string): Promise<BusinessMetric> {
    const input = parseInput(metricFormSchema, form);
    const name = input.kind === 'custom' ? input.name.replace(/\s+/g, ' ') : '';
    const nameError = input.kind === 'custom' ? customNameError(name) : null;
    if (nameError) throw new ValidationError({ name: nameError });
    const value: MetricValue = { month: parseMonth(input.month)!, kind: input.kind, name, ...valueOf(input.kind, input), notes: input.notes || null };
    const result = await this.deps.businessMetricRepository.insert(tenantId, value, { source: 'manual', enteredBy });
    if (result.outcome === 'duplicate') throw new ValidationError({ month: 'revenue.errors.duplicate' });
    return result.metric;
  }

  async update(tenantId: string, id: string, form: Omit<MetricForm, 'month' | 'kind' | 'name'>, enteredBy: string): Promise<BusinessMetric> {
    const current = await this.get(tenantId, id);
    const input = parseInput(metricEditSchema, form);
    const result = await this.deps.businessMetricRepository.update(tenantId, id, { ...valueOf(current.kind, input), notes: input.notes || null }, enteredBy);
    if (result.outcome === 'notFound') throw new NotFoundError();
    if (result.outcome === 'readOnly') throw new AppError('revenue.errors.readOnly', 409);
    return result.metric!;
  }

  async delete(tenantId: string, id: string): Promise<void> {
    const result = await this.deps.businessMetricRepository.delete(tenantId, id);
    if (result.outcome === 'notFound') throw new NotFoundError();
    if (result.outcome === 'readOnly') throw new AppError('revenue.errors.readOnly', 409);
  }
}
