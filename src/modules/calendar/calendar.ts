import { asClass, type AwilixContainer } from 'awilix';
import type { Router } from 'express';
import type { Config } from '../../config.js';
import type { Clock } from '../../shared/clock.js';
import type { JobDefinition } from '../../shared/jobs.js';
import type { CalendarRepository } from './calendar-ports.js';
import { calendarRoutes } from './calendar-routes.js';
import { CalendarService } from './calendar-service.js';
import { KnexCalendarRepository } from './db/knex-calendar-repository.js';
import { TenantSlotPlanner } from './slot-planner.js';

export type { SlotPlanner } from './ports.js';

/**
 * The editorial calendar: month/week/list views, moving slots, slot preferences, iCalendar feeds, and the
 * `slotPlanner` other modules ask for a content's slot (studio on creation, approvals without a slot).
 */
export interface CalendarViewsCradle {
  calendarRepository: CalendarRepository;
  /** Implements the `SlotPlanner` port (ports.ts); `suggestions()` serves the calendar's own pages. */
  slotPlanner: TenantSlotPlanner;
  calendarService: CalendarService;
}

export function registerCalendarViews(container: AwilixContainer): void {
  container.register({
    calendarRepository: asClass(KnexCalendarRepository).singleton(),
    slotPlanner: asClass(TenantSlotPlanner).singleton(),
    calendarService: asClass(CalendarService).singleton(),
  });
}

/** `/app/calendar…` (views, items, preferences, feeds) and the public `/calendar/feeds/<token>.ics`. */
export function calendarViewRoutes(cradle: Pick<CalendarViewsCradle, 'calendarService'> & { config: Config; clock: Clock }): Router {
  return calendarRoutes(cradle);
}

/** No job of its own: slots are read and moved on demand; publishing and approval reminders belong to other parts. */
export function calendarViewJobs(_cradle: CalendarViewsCradle): JobDefinition[] {
  return [];
}
