import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Copies the WAL into the database file from a worker thread, every `intervalMs`, and has the WAL
 * start over. SQLite's own automatic checkpoint runs inside whichever commit crosses 1000 pages,
 * on the event loop, with two fsyncs: the server's connections turn it off (wal_autocheckpoint =
 * 0) and leave it to this.
 *
 * A PASSIVE checkpoint alone never let the WAL start over under steady load: a writer restarts it
 * only if, when its transaction begins, every frame is already in the database, and commits kept
 * coming while each checkpoint copied. The WAL grew by 35-40 MB a second under the benchmark (1.2
 * GB after 30 s of client_credentials), and every frame appended past the file's end cost the
 * kernel a new zeroed page-cache page. So each tick copies what it can without holding writers off
 * (PASSIVE), then runs RESTART, which takes the write lock, copies the few frames committed
 * meanwhile and waits for readers to leave the WAL: the next commit then writes from the start of
 * the file again, over pages the kernel already holds. Writers that meet the lock try again
 * (SqliteEventStore.retryWhenUnlocked). Side by side with two workers: refresh +32-42% and code
 * exchange +11-28% (their setup had grown the WAL); client_credentials within noise on a fresh
 * store and +24-30% after 25 s of load, with a third less system time per token.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
// RESTART waits this long for the write lock, then (holding it) for readers to leave the WAL.
db.pragma('busy_timeout = 100');
const tick = () => {
  try {
    const [{ log }] = db.pragma('wal_checkpoint(PASSIVE)');
    if (log > 0) db.pragma('wal_checkpoint(RESTART)');
  } catch { /* busy: next time */ }
};
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); tick(); db.close(); parentPort.close(); });
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(file: string, intervalMs = 250): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { driver, file, intervalMs } });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let stopping = false;
  return {
    stop() {
      if (!stopping) worker.postMessage('stop');
      stopping = true;
      return exited;
    },
  };
}
