/** Non-owner role every request and job runs as; subject to row-level security. */
export const APP_ROLE = 'cadence_app';
/** Role of the explicit platform context (super admin, fan-out jobs): bypasses row-level security. */
export const PLATFORM_ROLE = 'cadence_platform';
