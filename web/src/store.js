// SPDX-License-Identifier: MIT
// LocalStore: unsent edits kept in the browser (IndexedDB), so they survive a reload, a crash or a closed
// tab and are sent when the page next connects. One record per document and tab slot (see claimSlot below):
// {clientId, secret, revision, lastSequence, base (the relay's text at revision), outstanding, buffer,
// pendingEdits}. A record exists only while edits are pending.
//
// save() resolves once a state at least as new as the one given is durable. The session sends an operation
// only after the state that names it (its seq) is saved: otherwise a reload could find an older state and
// send different text under a seq the relay already applied, and the relay would drop it as a resend.
// Saves of one key coalesce while a write is in flight (typing never queues more than one write per key).
const DatabaseName = 'coscribe';
const StoreName = 'pending';

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

export class LocalStore {
  #db = null;
  #memory = null;  // instead of #db where the browser has no IndexedDB
  #queue = new Map();  // key -> {record, waiters}
  #busy = false;

  // The IndexedDB store, or an in-memory one (`persistent` false) where the browser has none (some private
  // windows): the page then says that unsent edits are not kept.
  static async open() {
    const store = new LocalStore();
    try {
      const open = indexedDB.open(DatabaseName, 1);
      open.onupgradeneeded = () => open.result.createObjectStore(StoreName);
      store.#db = await request(open);
    } catch (error) {
      console.warn('coscribe: IndexedDB unavailable, unsent edits stay in memory only', error);
      store.#memory = new Map();
    }
    return store;
  }

  get persistent() {
    return this.#db !== null;
  }

  async load(key) {
    if (this.#memory) return this.#memory.get(key);
    const tx = this.#db.transaction(StoreName, 'readonly');
    return request(tx.objectStore(StoreName).get(key));
  }

  // `record` null removes the key.
  save(key, record) {
    return new Promise((resolve, reject) => {
      const queued = this.#queue.get(key);
      const waiters = queued ? queued.waiters : [];
      waiters.push({ resolve, reject });
      this.#queue.set(key, { record, waiters });
      this.#drain();
    });
  }

  async #drain() {
    if (this.#busy) return;
    this.#busy = true;
    while (this.#queue.size) {
      const [key, { record, waiters }] = this.#queue.entries().next().value;
      this.#queue.delete(key);
      try {
        await this.#write(key, record);
        for (const w of waiters) w.resolve();
      } catch (error) {
        for (const w of waiters) w.reject(error);
      }
    }
    this.#busy = false;
  }

  #write(key, record) {
    if (this.#memory) {
      if (record === null) this.#memory.delete(key);
      else this.#memory.set(key, structuredClone(record));
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const tx = this.#db.transaction(StoreName, 'readwrite', { durability: 'strict' });
      const objects = tx.objectStore(StoreName);
      if (record === null) objects.delete(key);
      else objects.put(record, key);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
  }
}

// One tab per (document, slot): the first free slot is taken with a Web Lock held for the page's life, so two
// tabs on one document never share a record (each has its own clientId and sequence numbers), and a reloaded
// tab finds the record its previous life left in slot 0 again.
export async function claimSlot(doc) {
  if (!navigator.locks) return 0;
  for (let slot = 0; slot < 16; ++slot) {
    const taken = await new Promise((resolve) => {
      navigator.locks.request(`coscribe:${doc}:${slot}`, { ifAvailable: true }, (lock) => {
        if (!lock) { resolve(false); return undefined; }
        resolve(true);
        return new Promise(() => {});  // held until the page goes away
      });
    });
    if (taken) return slot;
  }
  return 16 + Math.floor(Math.random() * 1e6);  // very many tabs: a private slot
}
