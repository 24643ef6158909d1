// The outside world of the live fault driver (src/live/faults/): the process table (Linux /proc,
// signals, starting a server again) and one-off admin connections to Redis (ioredis) and MariaDB
// (mysql2). Every admin call opens its own connection and is bounded by a timeout, because the
// servers it talks to are the ones being crashed and frozen: a node stopped with SIGSTOP accepts
// TCP connections (the kernel completes the handshake) but never answers.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import type { SqlRow } from '../ports/sql.ts';

/** What /proc says about a live process. */
export interface ProcessInfo {
  /** Target of /proc/PID/exe (Debian's redis-server is a symlink to redis-check-rdb). */
  readonly exe: string;
  /** /proc/PID/cmdline, arguments joined by spaces (redis-server rewrites it to its title). */
  readonly cmdline: string;
  /** /proc/PID/cmdline split into its arguments. */
  readonly argv: readonly string[];
  /** /proc/PID/cwd. */
  readonly cwd: string;
}

/** How to start a server process again, exactly as it was started. */
export interface StartCommand {
  readonly argv: readonly string[];
  /** Working directory. */
  readonly cwd: string;
  /** File that gets the process's stdout and stderr (appended), or none. */
  readonly outputFile?: string;
}

/** The process table, as the live fault driver uses it. */
export interface ProcessControl {
  /** The pid in `pidFile` (digits only), or `undefined` when the file is missing or empty. */
  readPidFile(pidFile: string): number | undefined;
  /** A command line recorded NUL-separated (as /proc/PID/cmdline), or `undefined` without the file. */
  readArgvFile(file: string): string[] | undefined;
  /** /proc facts of `pid`, or `undefined` when no such process is alive. */
  inspect(pid: number): ProcessInfo | undefined;
  /** Sends `signal`; false when the process does not exist. */
  signal(pid: number, signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): boolean;
  /** Whether `pid` is a process that has not exited (a zombie counts as exited). */
  alive(pid: number): boolean;
  /**
   * Starts `command` in a session of its own (setsid), detached from this process so it outlives
   * it; resolves with the launcher's pid once it has been spawned.
   */
  start(command: StartCommand): Promise<number>;
}

/** One-off admin commands against a server, each on a fresh connection. */
export interface BackendAdmin {
  /** Runs one Redis command; rejects on an error reply, a refused connection or after `timeoutMs`. */
  redis(host: string, port: number, args: readonly string[], timeoutMs: number): Promise<unknown>;
  /** Runs one SQL statement as `user` (no password); rejects likewise. */
  sql(host: string, port: number, user: string, statement: string, timeoutMs: number): Promise<SqlRow[]>;
}

/** Splits a NUL-terminated argument list; an empty argument (`--save ""`) stays. */
export function splitArgv(raw: string): string[] {
  const argv = raw.split('\0');
  if (argv.at(-1) === '') argv.pop(); // the terminator of the last argument
  return argv;
}

/** {@link ProcessControl} over Linux's /proc and node:child_process. */
export const linuxProcesses: ProcessControl = {
  readPidFile(pidFile) {
    try {
      const digits = readFileSync(pidFile, 'utf8').replace(/[^0-9]/g, '');
      return digits === '' ? undefined : Number(digits);
    } catch {
      return undefined;
    }
  },
  readArgvFile(file) {
    try {
      const argv = splitArgv(readFileSync(file, 'utf8'));
      return argv.length > 0 ? argv : undefined;
    } catch {
      return undefined;
    }
  },
  inspect(pid) {
    try {
      const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (/^State:\s+Z/m.test(status)) return undefined;
      const argv = splitArgv(raw);
      return {
        exe: readlinkSync(`/proc/${pid}/exe`),
        cmdline: argv.join(' '),
        argv,
        cwd: readlinkSync(`/proc/${pid}/cwd`),
      };
    } catch {
      return undefined;
    }
  },
  signal(pid, signal) {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  },
  alive(pid) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      return !/^State:\s+Z/m.test(status);
    } catch {
      return false;
    }
  },
  start(command) {
    const [file, ...args] = command.argv;
    if (file === undefined) return Promise.reject(new Error('start: empty command line'));
    const out = command.outputFile === undefined ? 'ignore' : openSync(command.outputFile, 'a');
    // The child has its own copy of the output file's descriptor; ours is closed once it runs.
    const closeOut = () => {
      if (typeof out === 'number') closeSync(out);
    };
    return new Promise((resolve, reject) => {
      const child = spawn(file, args, {
        cwd: command.cwd,
        detached: true, // setsid(): its own session, so it outlives this process
        stdio: ['ignore', out, out],
      });
      child.once('error', (error) => {
        closeOut();
        reject(error);
      });
      child.once('spawn', () => {
        closeOut();
        child.unref();
        resolve(child.pid ?? -1);
      });
    });
  },
};

/** {@link BackendAdmin} over ioredis and mysql2, one connection per call. */
export const driverAdmin: BackendAdmin = {
  async redis(host, port, args, timeoutMs) {
    const client = new Redis({
      host,
      port,
      lazyConnect: true,
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    client.on('error', () => {}); // reported through the rejected call
    try {
      await client.connect();
      const [name, ...rest] = args;
      return await client.call(name ?? 'PING', ...rest);
    } finally {
      client.disconnect();
    }
  },
  async sql(host, port, user, statement, timeoutMs) {
    const connection = await mysql.createConnection({ host, port, user, connectTimeout: timeoutMs });
    try {
      const [rows] = await connection.query({ sql: statement, timeout: timeoutMs });
      return Array.isArray(rows) ? (rows as SqlRow[]) : [];
    } finally {
      connection.destroy();
    }
  },
};
