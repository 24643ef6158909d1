import { readFileSync } from 'node:fs';

/** USER_HZ: /proc's clock ticks per second (`getconf CLK_TCK` on Linux). */
const CLOCK_TICKS_PER_S = 100;

/** CPU times of a process from /proc/<pid>/stat, ms. */
export interface ProcCpu {
  /** utime + stime: the process's own user and system time. */
  readonly ownMs: number;
  /** cutime + cstime: its waited-for children's. */
  readonly childrenMs: number;
}

/**
 * The CPU times of `pid` (or this process, 'self') from /proc/<pid>/stat, fields 14-17 (proc(5));
 * undefined where there is no /proc or no such process.
 */
export function procCpu(pid: number | string): ProcCpu | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it, where
    // field 3 (state) is index 0.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = (i: number) => (Number(f[i]) * 1000) / CLOCK_TICKS_PER_S;
    return { ownMs: ms(11) + ms(12), childrenMs: ms(13) + ms(14) };
  } catch {
    return undefined;
  }
}
