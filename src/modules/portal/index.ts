/** The client portal's navigation: one entry per module, in the order a client works (`/app` is the analytics cockpit). */
export const PORTAL_NAV = [
  { key: 'dashboard', href: '/app' },
  { key: 'brand', href: '/app/brand' },
  { key: 'studio', href: '/app/studio' },
  { key: 'pipeline', href: '/app/pipeline' },
  { key: 'calendar', href: '/app/calendar' },
  { key: 'approvals', href: '/app/approvals' },
  { key: 'media', href: '/app/media' },
  { key: 'contacts', href: '/app/contacts' },
  { key: 'channels', href: '/app/channels' },
  { key: 'watch', href: '/app/watch' },
  { key: 'ai', href: '/app/ai' },
  { key: 'team', href: '/app/team' },
  { key: 'credits', href: '/app/credits' },
  { key: 'subscription', href: '/app/subscription' },
] as const;
