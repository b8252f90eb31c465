/** GDPR self-service: what an export and a deletion request are, and the rules both follow. */

/** How long a workspace stays recoverable after its owner asked for deletion. */
export const DELETION_GRACE_DAYS = 30;
/** How long a finished export can be downloaded before its archive is deleted. */
export const EXPORT_LINK_DAYS = 7;
/** An export's build is retried this many times before it is marked failed. */
export const EXPORT_MAX_ATTEMPTS = 3;

export type DataExportStatus = 'pending' | 'building' | 'ready' | 'failed' | 'expired';

export interface DataExport {
  id: string;
  status: DataExportStatus;
  requestedBy: string | null;
  sizeBytes: number | null;
  tableCount: number | null;
  rowCount: number | null;
  fileCount: number | null;
  createdAt: Date;
  completedAt: Date | null;
  expiresAt: Date | null;
}

export interface DeletionSchedule {
  requestedAt: Date;
  scheduledFor: Date;
}

/** A column of a tenant table, as the catalogue describes it. */
export interface CatalogueColumn {
  name: string;
  type: string;
}

/** A table holding tenant rows (it has a `tenant_id` column), found in the database catalogue. */
export interface TenantTable {
  name: string;
  columns: CatalogueColumn[];
  /** Primary key columns, in order (keyset paging); empty when the table has none. */
  primaryKey: string[];
  /** What deleting the tenant does to its rows: `CASCADE` (deleted), `SET NULL` (kept, detached), or a blocking rule. */
  onTenantDelete: 'CASCADE' | 'SET NULL' | 'RESTRICT' | 'NO ACTION' | 'SET DEFAULT' | 'NONE';
}

// Secrets and credentials never leave the database: encrypted tokens, password and token hashes, shared secrets,
// verification tokens. The README of the archive lists what was left out.
const SECRET_COLUMN = /(_encrypted$|^password_hash$|(^|_)token_hash$|(^|_)secret$|^secret_|verification_token$)/;

export function isSecretColumn(name: string): boolean {
  return SECRET_COLUMN.test(name);
}

// Columns naming an object in storage (media originals and thumbnails, onboarding uploads, reports, invoices…).
const STORAGE_KEY_COLUMN = /(^|_)(storage|thumbnail)_key$/;

export function isStorageKeyColumn(name: string): boolean {
  return STORAGE_KEY_COLUMN.test(name);
}

/** Tables whose rows the export describes but whose files are not copied into it (previous exports). */
export const FILES_NOT_EXPORTED_FROM = ['data_exports'] as const;

export function deletionDate(requestedAt: Date): Date {
  return new Date(requestedAt.getTime() + DELETION_GRACE_DAYS * 24 * 3600 * 1000);
}

export function exportExpiry(completedAt: Date): Date {
  return new Date(completedAt.getTime() + EXPORT_LINK_DAYS * 24 * 3600 * 1000);
}
