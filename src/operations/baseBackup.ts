// The whole database backed up while it serves, with what PostgreSQL 18 itself offers (the embedded server ships
// no pg_basebackup or pg_dump): its low-level base backup API. A temporary physical replication slot keeps every
// WAL segment from before the backup's start until it is copied; pg_backup_start() checkpoints and marks the
// start; the data folder is copied file by file while writes go on (pages torn by the copy are rewritten from
// the full-page images WAL replay applies); pg_backup_stop() returns the backup label; the WAL from the start to
// the stop is copied beside the files. A server started on a restored folder replays that WAL from the label's
// checkpoint and is consistent as of the stop: every transaction committed before pg_backup_stop() returned is
// there. It must run on the database's host, as a user who can read the data folder, with a role allowed to call
// these functions and create a replication slot (a superuser, or one granted EXECUTE on them and REPLICATION).
//
// Layout of DIR: data/ (the data folder, WAL in data/pg_wal), lendgraph-base-backup.json (LSNs, every file's size
// and SHA-256). docs/operations.md, "Backing up the whole database", says how to restore it.
import { createHash } from 'node:crypto';
import { chownSync, copyFileSync, createReadStream, createWriteStream, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { InvalidField } from '../errors.js';
import type { Logger } from '../log.js';

export const BASE_BACKUP_MANIFEST = 'lendgraph-base-backup.json';
const SLOT = 'lendgraph_base_backup';

/**
 * What a base backup leaves out, as PostgreSQL's documentation lists it: files the server remakes at start, its
 * lock and options files, and the contents of folders that are only meaningful to the running server (pg_wal's
 * are copied separately, from the start of the backup to its stop).
 */
const SKIPPED_FILES = new Set(['postmaster.pid', 'postmaster.opts', 'backup_label', 'tablespace_map', 'backup_label.old', 'current_logfiles']);
const EMPTIED_FOLDERS = new Set(['pg_wal', 'pg_replslot', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_stat_tmp', 'pg_subtrans']);

interface CopiedFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface BaseBackupManifest {
  format: 'lendgraph-base-backup/1';
  serverVersion: string;
  startLsn: string;
  stopLsn: string;
  startedAt: string;
  stoppedAt: string;
  /** The data folder's owner, given back to a restored folder (PostgreSQL refuses a folder it does not own). */
  owner: { uid: number; gid: number };
  files: CopiedFile[];
}

export interface BaseBackupResult {
  files: number;
  bytes: number;
  startLsn: string;
  stopLsn: string;
}

/** Copies one file, hashing what is read; a file removed while the backup runs (a dropped table) is left out. */
async function copyHashed(from: string, to: string, relative: string): Promise<CopiedFile | null> {
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    await pipeline(
      createReadStream(from),
      new Transform({ transform(chunk: Buffer, _encoding, done) { hash.update(chunk); bytes += chunk.length; done(null, chunk); } }),
      createWriteStream(to),
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return { path: relative, bytes, sha256: hash.digest('hex') };
}

async function copyDataFolder(source: string, target: string, relative: string, copied: CopiedFile[]): Promise<void> {
  mkdirSync(path.join(target, relative), { recursive: true, mode: 0o700 });
  let entries: string[];
  try {
    entries = readdirSync(path.join(source, relative));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const name of entries.sort()) {
    const inner = path.join(relative, name);
    let stat;
    try {
      stat = lstatSync(path.join(source, inner));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    if (stat.isDirectory()) {
      if (relative === '' && EMPTIED_FOLDERS.has(name)) mkdirSync(path.join(target, inner), { recursive: true, mode: 0o700 });
      else await copyDataFolder(source, target, inner, copied);
    } else if (stat.isFile()) {
      // Temporary files and the server's own socket lock are not data.
      if ((relative === '' && SKIPPED_FILES.has(name)) || name.startsWith('pgsql_tmp') || name.startsWith('.s.PGSQL.')) continue;
      const file = await copyHashed(path.join(source, inner), path.join(target, inner), inner);
      if (file) copied.push(file);
    }
    // Sockets and anything else that is not a plain file or folder are not data.
  }
}

export async function takeBaseBackup(pool: pg.Pool, folder: string, log?: Logger): Promise<BaseBackupResult> {
  if (existsSync(folder) && readdirSync(folder).length > 0) throw new InvalidField('out', `${folder} is not empty: give a new folder for the backup`);
  const client = await pool.connect();
  try {
    const { rows: [settings] } = await client.query<{ data_directory: string; server_version: string; wal_level: string }>(
      `SELECT current_setting('data_directory') AS data_directory, current_setting('server_version') AS server_version,
              current_setting('wal_level') AS wal_level`);
    if (settings!.wal_level === 'minimal') throw new InvalidField('wal_level', 'a base backup needs wal_level replica or logical');
    const source = settings!.data_directory;
    if (!existsSync(path.join(source, 'PG_VERSION'))) {
      throw new InvalidField('DATABASE_URL', `the data folder ${source} is not readable here: run the backup on the database's host`);
    }
    // Temporary: it goes with this session, however the backup ends.
    await client.query('SELECT pg_create_physical_replication_slot($1, true, true)', [`${SLOT}_${process.pid}`]);
    const startedAt = new Date();
    const { rows: [start] } = await client.query<{ lsn: string; wal: string }>(
      `SELECT lsn::text, pg_walfile_name(lsn) AS wal FROM pg_backup_start($1, true) AS lsn`, [`lendgraph ${startedAt.toISOString()}`]);
    log?.info({ lsn: start!.lsn }, 'base backup started; copying the data folder');
    const data = path.join(folder, 'data');
    const copied: CopiedFile[] = [];
    let stop: { lsn: string; labelfile: string; spcmapfile: string | null; wal: string };
    try {
      await copyDataFolder(source, data, '', copied);
    } finally {
      // A backup that failed half-way must still be ended, or the server keeps forcing full-page writes.
      const { rows: [stopped] } = await client.query<{ lsn: string; labelfile: string; spcmapfile: string | null; wal: string }>(
        `SELECT lsn::text, labelfile, spcmapfile, pg_walfile_name(lsn) AS wal FROM pg_backup_stop(false)`);
      stop = stopped!;
    }
    // Closes the segment holding the stop record, so every WAL file the restore needs is complete on disk.
    await client.query('SELECT pg_switch_wal()');
    writeFileSync(path.join(data, 'backup_label'), stop.labelfile);
    if (stop.spcmapfile) writeFileSync(path.join(data, 'tablespace_map'), stop.spcmapfile);
    for (const name of readdirSync(path.join(source, 'pg_wal')).sort()) {
      const segment = /^[0-9A-F]{24}$/.test(name) && name >= start!.wal && name <= stop.wal;
      if (!segment && !name.endsWith('.history')) continue;
      const file = await copyHashed(path.join(source, 'pg_wal', name), path.join(data, 'pg_wal', name), path.join('pg_wal', name));
      if (file) copied.push(file);
    }
    for (const name of ['backup_label', 'tablespace_map'].filter((n) => existsSync(path.join(data, n)))) {
      const text = readFileSync(path.join(data, name));
      copied.push({ path: name, bytes: text.length, sha256: createHash('sha256').update(text).digest('hex') });
    }
    const owner = lstatSync(path.join(source, 'PG_VERSION'));
    const manifest: BaseBackupManifest = {
      format: 'lendgraph-base-backup/1', serverVersion: settings!.server_version, startLsn: start!.lsn, stopLsn: stop.lsn,
      startedAt: startedAt.toISOString(), stoppedAt: new Date().toISOString(), owner: { uid: owner.uid, gid: owner.gid }, files: copied,
    };
    writeFileSync(path.join(folder, BASE_BACKUP_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    log?.info({ startLsn: start!.lsn, stopLsn: stop.lsn, files: copied.length }, 'base backup done');
    return { files: copied.length, bytes: copied.reduce((sum, f) => sum + f.bytes, 0), startLsn: start!.lsn, stopLsn: stop.lsn };
  } finally {
    client.release(true);
  }
}

/**
 * Makes `target` (a new, empty data folder) from a base backup, after checking every file against its SHA-256;
 * a PostgreSQL of the same major version started on it recovers to the backup's stop and serves.
 */
export async function restoreBaseBackup(folder: string, target: string): Promise<BaseBackupManifest> {
  const manifestPath = path.join(folder, BASE_BACKUP_MANIFEST);
  if (!existsSync(manifestPath)) throw new InvalidField('backup', `${folder} holds no base backup (${BASE_BACKUP_MANIFEST} is missing)`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as BaseBackupManifest;
  if (existsSync(target) && readdirSync(target).length > 0) throw new InvalidField('into', `${target} is not empty: restore into a new folder`);
  const data = path.join(folder, 'data');
  for (const file of manifest.files) {
    const hash = createHash('sha256');
    await pipeline(createReadStream(path.join(data, file.path)), hash);
    if (hash.digest('hex') !== file.sha256) throw new InvalidField('backup', `${file.path} does not match its SHA-256: the backup is damaged`);
  }
  const copyAll = (relative: string) => {
    mkdirSync(path.join(target, relative), { recursive: true, mode: 0o700 });
    for (const name of readdirSync(path.join(data, relative))) {
      const inner = path.join(relative, name);
      if (lstatSync(path.join(data, inner)).isDirectory()) copyAll(inner);
      else copyFileSync(path.join(data, inner), path.join(target, inner));
    }
  };
  // The folders above it open to others, as the embedded server's are: as root, PostgreSQL runs as the postgres
  // user, who must reach the data folder (a parent made 0700 sent the embedded server to an empty folder elsewhere).
  mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
  copyAll('');
  for (const needed of ['pg_wal/archive_status', 'pg_wal/summaries']) mkdirSync(path.join(target, needed), { recursive: true, mode: 0o700 });
  chmodSync(target, 0o700);
  if (process.getuid?.() === 0) {
    const own = (p: string) => {
      chownSync(p, manifest.owner.uid, manifest.owner.gid);
      if (lstatSync(p).isDirectory()) for (const name of readdirSync(p)) own(path.join(p, name));
    };
    own(target);
  }
  return manifest;
}
