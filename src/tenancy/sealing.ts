// Secrets we must be able to read back (webhook signing secrets; later, borrowers' identifiers) are sealed
// with AES-256-GCM under the platform's data key before they reach the database, so a dump of a tenant's
// schema reveals none of them. The key comes from DATA_ENCRYPTION_KEY; outside production a key is generated
// once into DATA_DIR so the embedded default needs no setup. The sealed form names its version, so the key can
// be rotated later by re-sealing.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type DataKey = Buffer;

export function sealSecret(key: DataKey, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), sealed.toString('base64url')].join('.');
}

export function openSecret(key: DataKey, sealed: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed secret');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}

/** DATA_ENCRYPTION_KEY (base64, 32 bytes) when set; otherwise, outside production, DATA_DIR/data-key. */
export function loadDataKey(configured: string | undefined, dataDir: string, nodeEnv: string): DataKey {
  if (configured) return Buffer.from(configured, 'base64');
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
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
}
