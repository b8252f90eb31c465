import type { Locale, Translate } from '../i18n.js';

/** Who is asking, resolved once per request from the session. */
export interface Viewer {
  userId: string;
  email: string;
  name: string;
  locale: Locale;
  isPlatformAdmin: boolean;
  /** The tenant the viewer is working in, with the permissions of their role there. */
  tenant?: { id: string; name: string; timezone: string; roleCode: string; permissions: readonly string[] };
  tenants: { id: string; name: string }[];
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      viewer?: Viewer;
      locale: Locale;
      t: Translate;
      csrfToken: string;
    }
  }
}

declare module 'express-session' {
  interface SessionData {
    tenantId?: string;
    locale?: Locale;
    csrfToken?: string;
    flash?: { kind: 'success' | 'error' | 'info'; message: string };
  }
}
