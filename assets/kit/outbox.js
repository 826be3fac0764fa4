// The kit's outbox: IndexedDB, so that what the registrar took down survives a reload, closing
// the browser and a restart. Everything personal is sealed with AES-GCM under a key derived
// from the shift's PIN (PBKDF2-SHA-256), held in memory only: a lost laptop gives away no
// names, only what is needed to show the queue (its keys, life events, times and states).
// The session token is sealed the same way.

const DB_NAME = 'onestop-kit';
// OWASP's figure for PBKDF2-HMAC-SHA-256 (2023): about half a second on a modest laptop.
const ITERATIONS = 600000;
const CHECK = 'onestop-kit-pin-check';

let database = null;

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/** Open (and on first use create) the kit's database. */
export async function open() {
  if (database) {
    return database;
  }
  const opening = indexedDB.open(DB_NAME, 1);
  opening.onupgradeneeded = () => {
    const db = opening.result;
    db.createObjectStore('meta');
    db.createObjectStore('outbox', { keyPath: 'key' });
  };
  database = await request(opening);
  return database;
}

async function store(name, mode) {
  const db = await open();
  return db.transaction(name, mode).objectStore(name);
}

export async function meta(key) {
  return request((await store('meta', 'readonly')).get(key));
}

export async function setMeta(key, value) {
  return request((await store('meta', 'readwrite')).put(value, key));
}

export async function removeMeta(key) {
  return request((await store('meta', 'readwrite')).delete(key));
}

/** Every queued application, oldest capture first. */
export async function items() {
  const all = await request((await store('outbox', 'readonly')).getAll());
  return all.sort((a, b) => a.capturedAt.localeCompare(b.capturedAt) || a.key.localeCompare(b.key));
}

export async function item(key) {
  return request((await store('outbox', 'readonly')).get(key));
}

/** Store an item (written to disk when this resolves: the registrar is told only then). */
export async function put(entry) {
  const db = await open();
  const tx = db.transaction('outbox', 'readwrite', { durability: 'strict' });
  tx.objectStore('outbox').put(entry);
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export async function remove(key) {
  return request((await store('outbox', 'readwrite')).delete(key));
}

/** This device's key, made once: the audit trail names the device by it. */
export async function deviceKey() {
  let key = await meta('device');
  if (!key) {
    key = `kit-${crypto.randomUUID()}`;
    await setMeta('device', key);
  }
  return key;
}

/** A UUIDv7: 48 bits of Unix milliseconds, version and variant, the rest random (RFC 9562). */
export function uuidv7() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let ms = Date.now();
  for (let i = 5; i >= 0; i -= 1) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

async function derive(pin, salt) {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations: ITERATIONS },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/** `value` (anything JSON) sealed under `key`: a fresh 96-bit nonce and the ciphertext. */
export async function seal(key, value) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plain = new TextEncoder().encode(JSON.stringify(value));
  const data = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, plain));
  return { iv, data };
}

/** What `seal` sealed; throws when the key is not the one it was sealed with. */
export async function unseal(key, sealed) {
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: sealed.iv }, key, sealed.data);
  return JSON.parse(new TextDecoder().decode(plain));
}

/** Whether a PIN is set on this device (the queue is sealed under it). */
export async function hasPin() {
  return Boolean(await meta('pin'));
}

/** Set the shift's PIN: a new salt and a check value sealed under the new key; the key. */
export async function setPin(pin) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const key = await derive(pin, salt);
  await setMeta('pin', { salt, check: await seal(key, CHECK) });
  return key;
}

/** The key of `pin`, or null when it is not the shift's PIN. */
export async function unlock(pin) {
  const stored = await meta('pin');
  if (!stored) {
    return null;
  }
  const key = await derive(pin, stored.salt);
  try {
    return (await unseal(key, stored.check)) === CHECK ? key : null;
  } catch {
    return null;
  }
}

/**
 * Empty the queue for a new shift, in one transaction, unless something in it is not sent yet
 * (another window may have queued one a moment ago); whether it was emptied.
 */
export async function clearIfNothingWaits() {
  const db = await open();
  const tx = db.transaction('outbox', 'readwrite', { durability: 'strict' });
  const store = tx.objectStore('outbox');
  const all = await request(store.getAll());
  const waits = all.some((entry) => entry.status !== 'sent');
  if (waits) {
    tx.abort();
    return false;
  }
  store.clear();
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  return true;
}

/** Forget the PIN and the sealed session (only when nothing waits in the queue). */
export async function forgetPin() {
  await removeMeta('pin');
  await removeMeta('session');
}
