// Secrets we must be able to read back (webhook signing secrets, borrowers' identifiers, account numbers) are
// sealed with AES-256-GCM under the platform's data key before they reach the database, so a dump of a tenant's
// schema reveals none of them. The key comes from DATA_ENCRYPTION_KEY; outside production a key is generated
// once into DATA_DIR so the embedded default needs no setup.
//
// Rotation: the sealed form names the key that sealed it (`v2.<key id>.<iv>.<tag>.<body>`; `v1.<iv>.<tag>.<body>`
// is the older form, which names none). A new key is configured as DATA_ENCRYPTION_KEY with the old one as
// DATA_ENCRYPTION_KEY_PREVIOUS: everything new is sealed under the new key, and values sealed under the old one
// still open. `npm run reseal` then seals every stored value again under the new key (src/operations/resealing.ts),
// after which the previous key can be removed. docs/operations.md, "Rotating the data encryption key".
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface KeyMaterial {
  /** Derived from the key, never the key: it names the key in sealed values without revealing anything of it. */
  id: string;
  key: Buffer;
}

export interface DataKey {
  /** Seals everything new; the identifier lookup key and provider callback secrets are derived from it. */
  current: KeyMaterial;
  /** Keys being rotated away from: what they sealed still opens, nothing new is sealed under them. */
  previous: KeyMaterial[];
}

export function keyMaterial(key: Buffer): KeyMaterial {
  return { id: Buffer.from(hkdfSync('sha256', key, 'lendgraph', 'data-key-id', 6)).toString('hex'), key };
}

export function dataKeyOf(current: Buffer, previous: readonly Buffer[] = []): DataKey {
  const made = keyMaterial(current);
  return { current: made, previous: previous.map(keyMaterial).filter((p) => p.id !== made.id) };
}

const requestHashKeysByDataKey = new WeakMap<DataKey, readonly Buffer[]>();

/**
 * What an idempotency key's request is hashed under (HMAC-SHA-256), the current key's first: derived from the data
 * key, so that a stored request hash tells nothing of what the request held. A plain SHA-256 would: the request's
 * other fields are in the database beside it, and trying every national id or account number against the hash would
 * give back what is sealed everywhere else. Made once per data key.
 */
export function requestHashKeys(key: DataKey): readonly Buffer[] {
  let keys = requestHashKeysByDataKey.get(key);
  if (!keys) {
    keys = [key.current, ...key.previous].map((material) => Buffer.from(hkdfSync('sha256', material.key, 'lendgraph', 'idempotency-request', 32)));
    requestHashKeysByDataKey.set(key, keys);
  }
  return keys;
}

export function sealSecret(key: DataKey, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.current.key, iv);
  const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v2', key.current.id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), sealed.toString('base64url')].join('.');
}

function openWith(key: Buffer, iv: string, tag: string, body: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}

export function openSecret(key: DataKey, sealed: string): string {
  const parts = sealed.split('.');
  if (parts[0] === 'v2' && parts.length === 5) {
    const [, id, iv, tag, body] = parts as [string, string, string, string, string];
    const material = [key.current, ...key.previous].find((k) => k.id === id);
    if (!material) throw new Error(`sealed under key ${id}, which is not configured (DATA_ENCRYPTION_KEY, DATA_ENCRYPTION_KEY_PREVIOUS)`);
    return openWith(material.key, iv, tag, body);
  }
  if (parts[0] === 'v1' && parts.length === 4) {
    // The older form names no key: whichever configured key authenticates it sealed it.
    const [, iv, tag, body] = parts as [string, string, string, string];
    for (const material of [key.current, ...key.previous]) {
      try {
        return openWith(material.key, iv, tag, body);
      } catch {
        // not this key
      }
    }
    throw new Error('sealed under a key that is not configured (DATA_ENCRYPTION_KEY, DATA_ENCRYPTION_KEY_PREVIOUS)');
  }
  throw new Error('not a sealed secret');
}

/** Whether a stored value is already sealed under the current key (re-sealing skips it). */
export function isSealedUnderCurrent(key: DataKey, sealed: string): boolean {
  return sealed.startsWith(`v2.${key.current.id}.`);
}

/**
 * DATA_ENCRYPTION_KEY (base64, 32 bytes) when set, with DATA_ENCRYPTION_KEY_PREVIOUS during a rotation; otherwise,
 * outside production, DATA_DIR/data-key.
 */
export function loadDataKey(configured: string | undefined, dataDir: string, nodeEnv: string, previous?: string): DataKey {
  const previousKeys = previous ? [Buffer.from(previous, 'base64')] : [];
  if (configured) return dataKeyOf(Buffer.from(configured, 'base64'), previousKeys);
  if (nodeEnv === 'production') throw new Error('DATA_ENCRYPTION_KEY is required in production');
  const file = path.join(dataDir, 'data-key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    // Another process may race us: whichever file lands first is the key everyone reads from then on.
    try {
      writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return dataKeyOf(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'), previousKeys);
}
