// Checkpoints kept in the browser's IndexedDB, so a page can save a run and load it after a reload.
const DATABASE = "byol-ts";
const STORE = "checkpoints";

function done<T>(request: IDBRequest<T>, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(new Error(`IndexedDB ${what}: ${request.error?.message ?? "failed"}`));
  });
}

async function store(mode: IDBTransactionMode, what: string): Promise<IDBObjectStore> {
  if (typeof indexedDB === "undefined") throw new Error(`IndexedDB ${what}: IndexedDB is not available here`);
  const open = indexedDB.open(DATABASE, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE);
  const db = await done(open, what);
  const objects = db.transaction(STORE, mode).objectStore(STORE);
  db.close(); // once its transaction is done
  return objects;
}

/** Stores checkpoint bytes (from `trainer.save()`) under `name`, replacing any of that name. */
export async function saveCheckpointToIndexedDB(name: string, bytes: Uint8Array): Promise<void> {
  const what = `save of checkpoint ${JSON.stringify(name)}`;
  if (!(bytes instanceof Uint8Array)) throw new Error(`IndexedDB ${what}: bytes is not a Uint8Array`);
  await done((await store("readwrite", what)).put(bytes, name), what);
}

/** The checkpoint bytes stored under `name`, or null when there are none. */
export async function loadCheckpointFromIndexedDB(name: string): Promise<Uint8Array | null> {
  const what = `load of checkpoint ${JSON.stringify(name)}`;
  const value: unknown = await done((await store("readonly", what)).get(name), what);
  return value instanceof Uint8Array ? value : null;
}
