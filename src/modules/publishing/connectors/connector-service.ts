import { z } from 'zod';
import type { SecretBox } from '../../../adapters/crypto/secret-box.js';
import type { Clock } from '../../../shared/clock.js';
import { AppError, NotFoundError, ValidationError } from '../../../shared/errors.js';
import type { Logger } from '../../../shared/logger.js';
import { parseInput } from '../../../shared/validation.js';
import { testConnector, type TestResult } from './connection-testers.js';
import type { ConnectorRow, KnexPlatformConnectorRepository, PlanRow } from './db/knex-platform-connector-repository.js';
import { CONNECTOR_KINDS, isConnectorKind, KIND_SPECS, PLAN_CODES, secretInput, type ConnectorKind } from './kinds.js';

export interface ConnectorView {
  id: string;
  kind: ConnectorKind;
  name: string;
  settings: Record<string, unknown>;
  /** Per secret field: its last 4 characters when stored, `null` when absent; the secret itself never leaves here. */
  secretHints: Record<string, string | null>;
  /** The stored secrets no longer open (the master key changed): they must be typed again. */
  secretsUnreadable: boolean;
  active: boolean;
  isDefault: boolean;
  lastTest: { at: Date; ok: boolean; message: string | null } | null;
}

export interface PlanConnectorsView {
  plan: { code: string; name: string } | null;
  items: { code: string; status: 'included' | 'addon' | 'notIncluded'; available: boolean }[];
}

const nameSchema = z.object({
  name: z
    .preprocess((v) => (Array.isArray(v) ? String(v.at(-1)) : v === undefined || v === null ? '' : String(v)), z.string())
    .transform((v) => v.trim())
    .pipe(z.string().min(1, 'connectors.errors.nameRequired').max(200, 'connectors.errors.tooLong')),
});

const activeSchema = z.object({ active: z.enum(['true', 'false'], { error: 'common.errors.invalidValue' }).transform((v) => v === 'true') });

/**
 * The super admin's platform connectors (OAuth apps per network, SMS and SMTP accounts, Stripe): kind-specific
 * settings in clear, secrets sealed together in one envelope, one default per kind, a connection test per kind;
 * which plans include which connectors; and the client's view of what its plan includes.
 */
export class ConnectorService {
  constructor(
    private readonly deps: {
      platformConnectorRepository: KnexPlatformConnectorRepository;
      secretBox: SecretBox;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  async list(): Promise<ConnectorView[]> {
    return (await this.repo.list()).map((row) => this.view(row));
  }

  async get(id: string): Promise<ConnectorView> {
    return this.view(await this.require(id));
  }

  /** Creates a connector; the first of its kind becomes the default. */
  async create(kindInput: unknown, input: Record<string, unknown>, locale: string): Promise<string> {
    if (!isConnectorKind(kindInput)) throw new ValidationError({ kind: 'connectors.errors.kindInvalid' });
    const kind = kindInput;
    const { name, settings, secrets } = this.parse(kind, input, {}, locale);
    const active = input.active === 'on' || input.active === 'true';
    try {
      const id = await this.repo.insert({ kind, name, settings, secretsEncrypted: this.seal(secrets), active }, this.deps.clock.now());
      this.deps.logger.info({ kind, connector: id }, 'platform connector created');
      return id;
    } catch (err) {
      throw uniqueName(err);
    }
  }

  /** Edits settings and name; a secret left blank keeps the stored one. An edit clears the last test (it proved other values). */
  async update(id: string, input: Record<string, unknown>, locale: string): Promise<void> {
    const row = await this.require(id);
    const stored = this.openSecrets(row);
    const { name, settings, secrets } = this.parse(row.kind, input, stored ?? {}, locale);
    const sealed = this.seal(secrets);
    try {
      await this.repo.update(
        id,
        { name, settings, secretsEncrypted: sealed, lastTestedAt: null, lastTestResult: null, lastTestMessage: null },
        this.deps.clock.now(),
      );
    } catch (err) {
      throw uniqueName(err);
    }
    this.deps.logger.info({ kind: row.kind, connector: id }, 'platform connector updated');
  }

  async setActive(id: string, input: unknown): Promise<void> {
    const row = await this.require(id);
    const { active } = parseInput(activeSchema, input);
    await this.repo.update(id, { active }, this.deps.clock.now());
    this.deps.logger.info({ kind: row.kind, connector: id, active }, 'platform connector switched');
  }

  /** The default of its kind is the one the readers use; making one the default also switches it on. */
  async makeDefault(id: string): Promise<void> {
    const row = await this.require(id);
    await this.repo.makeDefault(id, row.kind, this.deps.clock.now());
    this.deps.logger.info({ kind: row.kind, connector: id }, 'platform connector made default');
  }

  /** Refused while client accounts are connected through it (they would lose their app). */
  async delete(id: string): Promise<void> {
    const row = await this.require(id);
    const accounts = await this.repo.accountsUsing(id);
    if (accounts > 0) throw new AppError('connectors.errors.inUse', 409, { count: accounts });
    await this.repo.delete(id);
    this.deps.logger.info({ kind: row.kind, connector: id }, 'platform connector deleted');
  }

  /** Calls the vendor with the stored credentials and keeps the outcome on the connector. */
  async test(id: string): Promise<TestResult> {
    const row = await this.require(id);
    const secrets = this.openSecrets(row);
    const result: TestResult = secrets
      ? await testConnector({ kind: row.kind, settings: row.settings ?? {}, secrets })
      : { ok: false, message: 'the stored secrets cannot be decrypted (master key changed): type them again' };
    await this.repo.recordTest(id, { at: this.deps.clock.now(), ok: result.ok, message: result.message });
    this.deps.logger.info({ kind: row.kind, connector: id, ok: result.ok }, 'platform connector tested');
    return result;
  }

  // Plans

  plans(): Promise<PlanRow[]> {
    return this.repo.plans();
  }

  async setPlanConnectors(planId: string, input: Record<string, unknown>): Promise<void> {
    const raw = input.codes;
    const ticked = (Array.isArray(raw) ? raw : raw === undefined || raw === '' ? [] : [raw]).map(String);
    const managed = Object.keys(PLAN_CODES);
    if (ticked.some((c) => !managed.includes(c))) throw new ValidationError({ codes: 'connectors.errors.codeInvalid' });
    const found = await this.repo.setPlanConnectors(planId, [...new Set(ticked)], managed, this.deps.clock.now());
    if (!found) throw new NotFoundError();
    this.deps.logger.info({ plan: planId, codes: ticked }, 'plan connectors set');
  }

  // The client's view

  /** Each connector the client may meet: included in its plan (or bought), offered as an add-on, or not included; and usable on the platform now. */
  async planConnectors(tenantId: string): Promise<PlanConnectorsView> {
    const [tenantPlan, configured] = await Promise.all([this.repo.tenantPlan(tenantId), this.repo.configuredKinds()]);
    const items = Object.entries(PLAN_CODES).map(([code, kinds]) => {
      const link = tenantPlan.planConnectors.find((c) => c.connectorCode === code);
      const included = tenantPlan.subscribed.includes(code) || link?.inclusion === 'included';
      const status: PlanConnectorsView['items'][number]['status'] = included ? 'included' : link?.inclusion === 'addon' ? 'addon' : 'notIncluded';
      return { code, status, available: kinds.some((k) => configured.has(k)) };
    });
    return { plan: tenantPlan.plan, items };
  }

  // Internals

  private get repo(): KnexPlatformConnectorRepository {
    return this.deps.platformConnectorRepository;
  }

  private async require(id: string): Promise<ConnectorRow> {
    const row = await this.repo.find(id);
    if (!row) throw new NotFoundError();
    return row;
  }

  /** Name, settings (per kind) and secrets (typed ones replace the stored; blank keeps; `clear_<field>` removes an optional one). */
  private parse(kind: ConnectorKind, input: Record<string, unknown>, stored: Record<string, string>, locale: string) {
    const spec = KIND_SPECS[kind];
    const errors: Record<string, string> = {};
    const name = nameSchema.safeParse(input);
    if (!name.success) errors.name = name.error.issues[0].message;
    let settings: Record<string, unknown> = {};
    try {
      settings = parseInput(spec.settingsSchema(locale), input);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      Object.assign(errors, err.fieldErrors);
    }
    const secrets: Record<string, string> = {};
    for (const field of spec.secrets) {
      const typed = secretInput.safeParse(input[field.name]);
      if (!typed.success) {
        errors[field.name] = typed.error.issues[0].message;
        continue;
      }
      const clear = !field.required && (input[`clear_${field.name}`] === 'on' || input[`clear_${field.name}`] === 'true');
      const value = typed.data || (clear ? '' : (stored[field.name] ?? ''));
      if (value) secrets[field.name] = value;
      else if (field.required) errors[field.name] = 'connectors.errors.secretRequired';
    }
    if (Object.keys(errors).length) throw new ValidationError(errors);
    return { name: name.data!.name, settings, secrets };
  }

  private seal(secrets: Record<string, string>): string | null {
    return Object.keys(secrets).length ? this.deps.secretBox.seal(JSON.stringify(secrets)) : null;
  }

  /** The decrypted secrets; `null` when they no longer open. */
  private openSecrets(row: ConnectorRow): Record<string, string> | null {
    if (!row.secretsEncrypted) return {};
    try {
      const parsed = JSON.parse(this.deps.secretBox.open(row.secretsEncrypted)) as unknown;
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
    } catch {
      return null;
    }
  }

  private view(row: ConnectorRow): ConnectorView {
    const secrets = this.openSecrets(row);
    const secretHints = Object.fromEntries(
      KIND_SPECS[row.kind].secrets.map((f) => {
        const value = secrets?.[f.name];
        // a short secret would be given away by its last 4 characters
        return [f.name, value ? (value.length >= 12 ? value.slice(-4) : '') : null];
      }),
    );
    return {
      id: row.id,
      kind: row.kind,
      name: row.name,
      settings: row.settings ?? {},
      secretHints,
      secretsUnreadable: secrets === null,
      active: row.active,
      isDefault: row.isDefault,
      lastTest: row.lastTestedAt ? { at: row.lastTestedAt, ok: row.lastTestResult === 'ok', message: row.lastTestMessage } : null,
    };
  }
}

export { CONNECTOR_KINDS };

function uniqueName(err: unknown): unknown {
  const e = err as { code?: string; constraint?: string; message?: string };
  if (e?.code === '23505' && String(e.constraint ?? e.message ?? '').includes('platform_connectors_name_unique')) {
    return new ValidationError({ name: 'connectors.errors.nameTaken' });
  }
  return err;
}
