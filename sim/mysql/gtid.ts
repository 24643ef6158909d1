/** A MariaDB GTID `domain-server-seq` (MariaDB KB "Global Transaction ID"). */
export interface Gtid {
  readonly domain: number;
  readonly server: number;
  readonly seq: number;
}

/** A MariaDB GTID position: at most one GTID per replication domain (not a set, unlike MySQL). */
export type GtidPos = ReadonlyMap<number, Gtid>;

export const formatGtid = (g: Gtid): string => `${g.domain}-${g.server}-${g.seq}`;

/** Formats a position as the server prints `@@gtid_slave_pos`: comma-separated, by domain. */
export function formatPos(pos: GtidPos): string {
  return [...pos.values()]
    .sort((a, b) => a.domain - b.domain)
    .map(formatGtid)
    .join(',');
}

/** Parses `'0-1-8'` or `'0-1-8,1-2-3'`; the empty string is the empty position. */
export function parsePos(text: string): Map<number, Gtid> {
  const pos = new Map<number, Gtid>();
  for (const part of text.split(',')) {
    const t = part.trim();
    if (t === '') continue;
    const m = /^(\d+)-(\d+)-(\d+)$/.exec(t);
    if (!m) throw new RangeError(`GTID position: expected 'domain-server-seq[,...]', got '${text}'`);
    const g = { domain: Number(m[1]), server: Number(m[2]), seq: Number(m[3]) };
    pos.set(g.domain, g);
  }
  return pos;
}

/** True when `pos` has reached `target` in every domain of `target` (MASTER_GTID_WAIT's test). */
export function reached(pos: GtidPos, target: GtidPos): boolean {
  for (const [domain, g] of target) {
    const have = pos.get(domain);
    if (have === undefined || have.seq < g.seq) return false;
  }
  return true;
}
