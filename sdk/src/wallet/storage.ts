/**
 * Where session keys live between page loads. A key is stored per (app, owner): one key per
 * owner per app, never shared across owners. The stored value is the WebCrypto `CryptoKeyPair`
 * itself (structured-cloned by IndexedDB), so a non-extractable private key stays
 * non-extractable: the page can sign with it but never read its bytes.
 */

/** Storage of session keys; inject another one (tests, native apps) through `SessionWallet.open`. */
export interface KeyStore {
  get(app: string, owner: string): Promise<CryptoKeyPair | null>;
  put(app: string, owner: string, keyPair: CryptoKeyPair): Promise<void>;
  delete(app: string, owner: string): Promise<void>;
}

const STORE = "keys";
const id = (app: string, owner: string) => `${app}\u0000${owner}`;

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/**
 * An IndexedDB-backed key store (database `dbName`, object store `keys`). Pass `indexedDB`
 * to use another factory (for example `fake-indexeddb` in node tests).
 */
export function indexedDbKeyStore(options: { dbName?: string; indexedDB?: IDBFactory } = {}): KeyStore {
  const factory = options.indexedDB ?? globalThis.indexedDB;
  const dbName = options.dbName ?? "session-keys";
  let db: Promise<IDBDatabase> | null = null;
  const open = () => {
    if (!factory) throw new Error("IndexedDB is not available here: pass a KeyStore to SessionWallet.open");
    db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const r = factory.open(dbName, 1);
      r.onupgradeneeded = () => r.result.createObjectStore(STORE);
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    return db;
  };
  const tx = async (mode: IDBTransactionMode) => (await open()).transaction(STORE, mode).objectStore(STORE);
  return {
    async get(app, owner) {
      const v = (await request((await tx("readonly")).get(id(app, owner)))) as { keyPair: CryptoKeyPair } | undefined;
      return v?.keyPair ?? null;
    },
    async put(app, owner, keyPair) {
      await request((await tx("readwrite")).put({ app, owner, keyPair, storedAt: Date.now() }, id(app, owner)));
    },
    async delete(app, owner) {
      await request((await tx("readwrite")).delete(id(app, owner)));
    },
  };
}

/** A key store in memory (lost on reload): for tests and short-lived scripts. */
export function memoryKeyStore(): KeyStore {
  const m = new Map<string, CryptoKeyPair>();
  return {
    get: async (app, owner) => m.get(id(app, owner)) ?? null,
    put: async (app, owner, k) => void m.set(id(app, owner), k),
    delete: async (app, owner) => void m.delete(id(app, owner)),
  };
}
