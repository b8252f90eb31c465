import { expect } from 'chai';
import type { Cradle } from '../../../../src/container.js';
import { ForbiddenError, ValidationError } from '../../../../src/shared/errors.js';
import { PipelineSettingsService } from '../../../../src/modules/pipeline/settings-service.js';
import { DEFAULT_SETTINGS } from '../../../../src/modules/pipeline/db/knex-pipeline-repository.js';
import { testEnv } from '../../../support/root-hooks.js';
import { createTenant } from '../../../support/tenants.js';

describe('Pipeline: settings service', function () {
  this.timeout(30_000);
  let cradle: Cradle;
  let service: PipelineSettingsService;

  before(() => {
    cradle = testEnv().container.cradle;
    service = new PipelineSettingsService(cradle);
  });

  const base = { enabled: 'on', runDay: '5', runHour: '23', reminderDaysBefore: '0', contentMode: '', useNightlyBatch: '' };
  const billing = { canManageBilling: true };
  const fieldErrors = async (promise: Promise<unknown>): Promise<Record<string, string>> => {
    try {
      await promise;
    } catch (err) {
      if (err instanceof ValidationError) return err.fieldErrors;
      throw err;
    }
    throw new Error('expected a ValidationError');
  };

  it('starts from the defaults and the plan quotas (SMS opted out)', async () => {
    const tenant = await createTenant(cradle.database);
    const view = await service.view(tenant.id);
    expect(view.settings).to.deep.equal(DEFAULT_SETTINGS);
    expect(view.targets.length).to.be.above(0);
    for (const t of view.targets) expect(t.chosen).to.equal(null);
    const sms = view.targets.find((t) => t.channel === 'sms');
    if (sms) expect(sms.active).to.equal(false);
  });

  it('saves the settings and the posted channels; checkboxes left out are off; the workspace mode is null', async () => {
    const tenant = await createTenant(cradle.database);
    const [first, second] = (await service.view(tenant.id)).targets;
    const view = await service.update(
      tenant.id,
      { ...base, maxCreditsPerRun: '1500', channel: [first.channel, second.channel], [`items.${first.channel}`]: '0', [`active.${first.channel}`]: 'on', [`items.${second.channel}`]: String(second.quota) },
      billing,
    );
    expect(view.settings).to.deep.equal({ enabled: true, runDay: 5, runHour: 23, reminderDaysBefore: 0, contentMode: null, useNightlyBatch: false, maxCreditsPerRun: 1500 });
    expect(view.targets.find((t) => t.channel === first.channel)).to.include({ chosen: 0, active: true, items: 0 });
    expect(view.targets.find((t) => t.channel === second.channel)).to.include({ chosen: second.quota, active: false, items: 0 });
    // an empty cap removes it
    expect((await service.update(tenant.id, { ...base, maxCreditsPerRun: '' }, billing)).settings.maxCreditsPerRun).to.equal(null);
  });

  it('refuses values out of range, each on its field, and saves nothing', async () => {
    const tenant = await createTenant(cradle.database);
    const [target] = (await service.view(tenant.id)).targets;
    const errors = await fieldErrors(
      service.update(
        tenant.id,
        { ...base, runDay: '29', runHour: '-1', reminderDaysBefore: 'x', contentMode: 'robot', maxCreditsPerRun: '-5', channel: target.channel, [`items.${target.channel}`]: String(target.quota + 1) },
        billing,
      ),
    );
    expect(errors).to.deep.equal({
      runDay: 'pipeline.settings.errors.runDay',
      runHour: 'pipeline.settings.errors.runHour',
      reminderDaysBefore: 'pipeline.settings.errors.reminderDaysBefore',
      contentMode: 'pipeline.settings.errors.contentMode',
      maxCreditsPerRun: 'pipeline.settings.errors.maxCredits',
      [`items.${target.channel}`]: 'pipeline.settings.errors.aboveQuota',
    });
    const notANumber = await fieldErrors(service.update(tenant.id, { ...base, channel: target.channel, [`items.${target.channel}`]: 'two' }, billing));
    expect(notANumber).to.deep.equal({ [`items.${target.channel}`]: 'pipeline.settings.errors.items' });
    expect((await service.view(tenant.id)).settings).to.deep.equal(DEFAULT_SETTINGS);
  });

  it('ignores channels outside the plan', async () => {
    const tenant = await createTenant(cradle.database, { plan: 'starter' });
    const outside = 'x'; // not in the starter plan
    expect((await service.view(tenant.id)).targets.map((t) => t.channel)).not.to.include(outside);
    await service.update(tenant.id, { ...base, channel: outside, [`items.${outside}`]: '3', [`active.${outside}`]: 'on' }, billing);
    const rows = await cradle.database.forTenant(tenant.id, (trx) => trx('pipelineChannelTargets').where({ tenantId: tenant.id }).select('channel'));
    expect(rows).to.deep.equal([]);
  });

  it('the credit cap: only with billing.manage; resending the current value is not a change', async () => {
    const tenant = await createTenant(cradle.database);
    await service.update(tenant.id, { ...base, maxCreditsPerRun: '800' }, billing);
    let refused: unknown;
    try {
      await service.update(tenant.id, { ...base, maxCreditsPerRun: '900' }, { canManageBilling: false });
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(ForbiddenError);
    expect((refused as ForbiddenError).code).to.equal('pipeline.settings.errors.capNeedsBilling');
    const view = await service.update(tenant.id, { ...base, runDay: '9', maxCreditsPerRun: '800' }, { canManageBilling: false });
    expect(view.settings).to.include({ runDay: 9, maxCreditsPerRun: 800 });
    expect((await service.update(tenant.id, { ...base, runDay: '10' }, { canManageBilling: false })).settings).to.include({ runDay: 10, maxCreditsPerRun: 800 });
  });
});
