import { kindsOf } from './counts.ts';
import type { RunDigest } from './digest.ts';
import { arrow, arrowMarker, box, fmt, fmtInt, renderSvg, type Svg } from './svg.ts';

/**
 * The article's diagram 3: MySQL replication and read/write splitting. Writes go to the primary,
 * reads to the replicas through the load balancer; each replica's IO thread copies the primary's
 * binlog into its relay log and its SQL thread applies it (MariaDB "Replication Threads"
 * documentation). Annotated with the faults each node took and the `mysql` events of the run.
 */

export const MYSQL_ID = 'diagram-mysql';

const W = 760;

/** What the run's `mysql` events say about one node: its threads' last states, crashes, promotion. */
export function mysqlNodeNotes(d: RunDigest, name: string): { io: string[]; sql: string[]; node: string[] } {
  const notes = { io: [] as string[], sql: [] as string[], node: [] as string[] };
  let io: string | undefined;
  let sql: string | undefined;
  let ioChanges = 0;
  let sqlChanges = 0;
  for (const e of d.notable) {
    if (!e.c.startsWith('mysql') || e.node !== name) continue;
    if (e.k === 'io-thread') {
      io = String(e.state);
      ioChanges++;
    } else if (e.k === 'sql-thread') {
      sql = String(e.state);
      sqlChanges++;
    } else if (e.k === 'crash' || e.k === 'restart' || e.k === 'promote') {
      notes.node.push(`${e.k} at ${fmt(e.t / 1000, 3)} s`);
    }
  }
  if (io !== undefined) notes.io.push(`${ioChanges} changes, last ${io}`);
  if (sql !== undefined) notes.sql.push(`${sqlChanges} changes, last ${sql}`);
  return notes;
}

export function renderMysqlDiagram(d: RunDigest): string {
  const mysql = d.topology?.mysql;
  const primary = mysql?.nodes.find((n) => n.role === 'primary');
  const replicas = mysql?.nodes.filter((n) => n.role === 'replica') ?? [];
  const kinds = kindsOf(d, 'mysql');
  const height = 150 + Math.max(1, replicas.length) * 90 + 16 * Math.ceil(kinds.length / 3) + 30;
  return renderSvg(MYSQL_ID, { width: W, height }, 'MySQL replication and read/write splitting', (svg) => {
    svg
      .append('text')
      .attr('x', 10)
      .attr('y', 18)
      .attr('font-weight', 'bold')
      .text(
        mysql === undefined
          ? 'MySQL: none in this run’s topology'
          : `MySQL: ${mysql.shards} shard(s), reads balanced by ${mysql.loadBalancer}${mysql.semiSync ? `, semi-sync ${mysql.semiSync.waitPoint} timeout ${fmt(mysql.semiSync.timeoutMs)} ms` : ''}`,
      );
    if (mysql === undefined) return;
    const marker = arrowMarker(svg);
    const faultsOn = (target: string) =>
      d.faults.filter((f) => f.target === target || f.target.split('~').includes(target)).map((f) => f.verb);
    box(svg, { x: 290, y: 34, width: 180, height: 40 }, 'gateway (chat history)', { cls: 'node gateway' });
    const py = 120;
    if (primary !== undefined) {
      const faults = [...new Set(faultsOn(primary.target))];
      box(
        svg,
        { x: 20, y: py, width: 180, height: 70 },
        primary.name === 'primary' ? 'primary' : `primary ${primary.name}`,
        {
          fill: '#FDE9D9',
          stroke: faults.length > 0 ? '#D9534F' : '#555',
          cls: 'node mysql-primary',
          lines: [
            'binlog',
            ...(faults.length > 0 ? [`faults: ${faults.join(', ')}`] : []),
            ...mysqlNodeNotes(d, primary.name).node.slice(0, 2),
          ],
        },
      );
      arrow(svg, [300, 74], [150, py], marker, 'writes', 'edge writes');
    }
    replicas.forEach((r, i) => {
      replicaRow(svg, d, r, py + 90 * i, faultsOn(r.target), marker);
      if (primary !== undefined)
        arrow(svg, [200, py + 35], [260, py + 90 * i + 30], marker, undefined, 'edge binlog');
    });
    if (replicas.length > 0) arrow(svg, [460, 74], [660, py], marker, 'reads', 'edge reads');
    const y0 = py + Math.max(1, replicas.length) * 90 + 10;
    eventCounts(svg, kinds, y0);
  });
}

type MysqlNode = NonNullable<NonNullable<RunDigest['topology']>['mysql']>['nodes'][number];

/** One replica: IO thread → relay log → SQL thread, with its faults and its threads' last states. */
function replicaRow(svg: Svg, d: RunDigest, r: MysqlNode, y: number, verbs: string[], marker: string): void {
  const faults = [...new Set(verbs)];
  // The verbs that start a fault name it (`stop-sql-thread`); their undoing (`start-sql-thread`,
  // `restart`) would only widen the box past its edge.
  const started = faults.filter((v) => !/^(start-|restart$|repair$|resume$)/.test(v));
  const stroke = faults.length > 0 ? '#D9534F' : '#555';
  const notes = mysqlNodeNotes(d, r.name);
  box(svg, { x: 260, y, width: 140, height: 60 }, 'IO thread', {
    fill: '#EAF1FB',
    stroke,
    cls: 'node io-thread',
    lines: [r.name, ...notes.io, ...notes.node.slice(0, 1)],
  });
  box(svg, { x: 430, y, width: 120, height: 60 }, 'relay log', {
    fill: '#EAF1FB',
    stroke,
    cls: 'node relay-log',
    lines: [r.target],
  });
  box(svg, { x: 580, y, width: 160, height: 60 }, 'SQL thread', {
    fill: '#EAF1FB',
    stroke,
    cls: 'node sql-thread',
    lines: [...(started.length > 0 ? [`faults: ${started.join(', ')}`] : []), ...notes.sql],
  });
  arrow(svg, [400, y + 30], [430, y + 30], marker, undefined, 'edge relay');
  arrow(svg, [550, y + 30], [580, y + 30], marker, undefined, 'edge apply');
}

/** The run's `mysql` kinds with their counts, three to a line. */
function eventCounts(svg: Svg, kinds: readonly [string, number][], y0: number): void {
  svg
    .append('text')
    .attr('x', 10)
    .attr('y', y0)
    .attr('font-weight', 'bold')
    .text(kinds.length === 0 ? 'No mysql events in this run' : 'mysql events in this run:');
  kinds.forEach(([k, n], i) => {
    svg
      .append('text')
      .attr('class', 'event-count')
      .attr('x', 20 + 245 * (i % 3))
      .attr('y', y0 + 16 * (1 + Math.floor(i / 3)))
      .attr('font-size', 10)
      .text(`${k} ×${fmtInt(n)}`);
  });
}
