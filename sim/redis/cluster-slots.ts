// CLUSTER SLOTS as one node's view answers it (src/cluster.c clusterCommandSlots: each maximal
// range of a master's slots with the master and the nodes that view says replicate it), and the
// per-node memo the simulated clients' slot-map refreshes read.
import type { ClusterSlots } from './cluster-client.ts';
import type { ClusterNode } from './cluster-node.ts';

/** CLUSTER SLOTS of `view`: [low, high, masterId, ...replicaIds], in slot order. */
export function slotsReply(view: ClusterNode, nodeIds: readonly string[]): ClusterSlots {
  const out: ClusterSlots = [];
  for (let m = 0; m < nodeIds.length; m++) {
    const replicas = nodeIds.filter((_, i) => view.masterOf[i] === m);
    for (const [low, high] of view.slots.rangesOf(m)) out.push([low, high, nodeIds[m]!, ...replicas]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/**
 * `slotsReply` for the clients' refreshes, built again only when a node's view changed since the
 * last one: its slot table (a version) or whom it thinks each node replicates. A client refreshes
 * after every MOVED and every retried CLUSTERDOWN or closed connection (ioredis's handleError),
 * thousands of times while a master is down, from views that change only at a failover. A reply
 * is shared: the clients only read it.
 */
export class SlotsReplies {
  /** Per node index, the last reply its view gave, with the view it was built from. */
  readonly #last: ({ version: number; masterOf: number[]; reply: ClusterSlots } | undefined)[] = [];

  reply(view: ClusterNode, nodeIds: readonly string[]): ClusterSlots {
    const last = this.#last[view.index];
    if (
      last !== undefined &&
      last.version === view.slots.version &&
      sameMasters(last.masterOf, view.masterOf)
    )
      return last.reply;
    const reply = slotsReply(view, nodeIds);
    this.#last[view.index] = { version: view.slots.version, masterOf: [...view.masterOf], reply };
    return reply;
  }
}

/** `last.every((m, i) => now[i] === m)`, without a closure per client refresh. */
function sameMasters(last: readonly number[], now: readonly number[]): boolean {
  for (let i = 0; i < last.length; i++) if (now[i] !== last[i]) return false;
  return true;
}
