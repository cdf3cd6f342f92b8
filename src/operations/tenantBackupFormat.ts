// The folder one tenant's backup is written to, and how it is checked before anything is loaded from it.
//
//   manifest.json        what the backup is: the format, when and from which schema version, the tenant's
//                        registry entry, every table (columns, row count, rows digest, file, file SHA-256), every
//                        sequence's value
//   tables/<table>.copy.gz
//                        the table's rows in PostgreSQL's COPY text format (tab-separated, \N for NULL), the
//                        columns in the manifest's order, gzip-compressed
//
// Every table was read in one REPEATABLE READ, READ ONLY transaction, so the files agree with each other as of
// one instant. The manifest's own SHA-256 is written beside it (manifest.sha256) so a damaged manifest is found
// before it is trusted.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { SequenceState } from './tenantTables.js';
import type { TenantRecord } from '../tenancy/registry.js';

export const BACKUP_FORMAT = 'lendgraph-tenant-backup/1';

/** The registry's entry as a backup carries it: the record's own fields, its instants as text. */
export interface BackupTenant extends Pick<TenantRecord, 'id' | 'slug' | 'displayName' | 'statusReason' | 'sandbox' | 'checkProviders' | 'currency' | 'timeZone' | 'businessDate'> {
  status: string;
  createdAt: string;
  /** When the tenant next had a borrower message to send (platform.message_schedule), if it had one. */
  nextMessageAt: string | null;
  /** Its dashboards' web origins (absent from backups taken before they existed). */
  dashboardOrigins?: string[];
  /** What a repeat of createTenant is held to (absent from backups taken before they were kept). */
  firstBusinessDate?: string | null;
  firstAdminEmail?: string | null;
}

export interface BackupTable {
  name: string;
  columns: string[];
  rows: number;
  /** Rows digest in the database (src/operations/tenantTables.ts), compared again after a load. */
  digest: string;
  file: string;
  sha256: string;
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  takenAt: string;
  /** The tenant's last applied migration: the import makes its schema at exactly this version before loading. */
  schemaVersion: string;
  sourceSchema: string;
  tenant: BackupTenant;
  tables: BackupTable[];
  sequences: SequenceState[];
}

export class BackupDamaged extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupDamaged';
  }
}

export const MANIFEST = 'manifest.json';
export const MANIFEST_CHECKSUM = 'manifest.sha256';

export function sha256Of(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** Reads the manifest and checks it, and every table file, against their checksums. */
export async function readVerifiedBackup(folder: string): Promise<BackupManifest> {
  const manifestFile = path.join(folder, MANIFEST);
  if (!existsSync(manifestFile)) throw new BackupDamaged(`${folder} holds no ${MANIFEST}: not a tenant backup`);
  const text = readFileSync(manifestFile);
  const recorded = existsSync(path.join(folder, MANIFEST_CHECKSUM)) ? readFileSync(path.join(folder, MANIFEST_CHECKSUM), 'utf8').trim() : '';
  if (recorded !== sha256Of(text)) throw new BackupDamaged(`${MANIFEST} does not match ${MANIFEST_CHECKSUM}: the backup is damaged`);
  const manifest = JSON.parse(text.toString('utf8')) as BackupManifest;
  if (manifest.format !== BACKUP_FORMAT) throw new BackupDamaged(`format ${String(manifest.format)} is not ${BACKUP_FORMAT}`);
  for (const table of manifest.tables) {
    const file = path.join(folder, table.file);
    if (!existsSync(file)) throw new BackupDamaged(`${table.file} is missing`);
    if ((await fileSha256(file)) !== table.sha256) throw new BackupDamaged(`${table.file} does not match its SHA-256 in the manifest`);
  }
  return manifest;
}
