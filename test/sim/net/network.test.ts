// SimNetwork on a seeded simulation: the FIFO arithmetic (transmission time, then latency), the
// 'hold' policy (TCP: a partition holds, repair delivers in order) and the 'drop' policy (the Redis
// cluster bus: what is sent across a partition is lost), slowness, and the API's refusals.
import { describe, expect, it } from 'vitest';
import { Simulation } from '#sim/kernel/simulation.ts';
import { type DeliveryPolicy, type NetLinkOptions, SimNetwork } from '#sim/net/network.ts';

function setup(options: NetLinkOptions) {
  const sim = new Simulation({ seed: 'net' });
  const net = new SimNetwork({ hosts: ['a', 'b', 'c'] }, { clock: sim.clock });
  const ab = net.connect('a', 'b', options);
  const arrivals: string[] = [];
  const lost: string[] = [];
  const send = (from: string, to: string, label: string, bytes = 0) =>
    net.send(from, to, {
      bytes,
      arrive: () => arrivals.push(`${label}@${sim.clock.now()}`),
      lost: () => lost.push(`${label}@${sim.clock.now()}`),
    });
  return { sim, net, ab, arrivals, lost, send };
}

describe('SimNetwork FIFO arithmetic (both policies)', () => {
  for (const policy of ['hold', 'drop'] as DeliveryPolicy[]) {
    it(`${policy}: a message takes size / bandwidth (rounded up) then the latency, behind earlier ones`, async () => {
      const { sim, arrivals, send } = setup({ policy, latencyMs: 5, bandwidthBytesPerMs: 10 });
      send('a', 'b', 'm1', 25); // transmitted 0..3, arrives 8
      send('a', 'b', 'm2', 10); // waits for m1: 3..4, arrives 9
      send('b', 'a', 'back', 10); // the other direction is its own FIFO: 0..1, arrives 6
      await sim.run();
      expect(arrivals).toEqual(['back@6', 'm1@8', 'm2@9']);
    });
  }

  it('an unlimited bandwidth costs only the latency (default 1 ms)', async () => {
    const { sim, arrivals, send } = setup({ policy: 'hold' });
    send('a', 'b', 'm1', 1_000_000);
    send('a', 'b', 'm2', 1_000_000);
    await sim.run();
    expect(arrivals).toEqual(['m1@1', 'm2@1']);
  });
});

describe("SimNetwork 'hold' (TCP)", () => {
  it('holds what arrives during a partition and delivers it in order on repair', async () => {
    const { sim, net, ab, arrivals, lost, send } = setup({ policy: 'hold', latencyMs: 2 });
    net.partition(['a'], ['b', 'c']);
    expect(ab.partitioned).toBe(true);
    send('a', 'b', 'm1');
    send('a', 'b', 'm2');
    send('b', 'a', 'r1');
    await sim.advanceBy(10);
    expect(arrivals).toEqual([]);
    expect(ab.heldCount).toBe(3);
    net.repair();
    expect(arrivals).toEqual(['m1@10', 'm2@10', 'r1@10']);
    expect(lost).toEqual([]);
  });

  it('holds a message already in flight when the cut comes', async () => {
    const { sim, net, arrivals, send } = setup({ policy: 'hold', latencyMs: 5 });
    send('a', 'b', 'm1');
    await sim.advanceBy(2);
    net.partition(['a'], ['b']);
    await sim.advanceBy(10);
    expect(arrivals).toEqual([]);
    net.repair();
    expect(arrivals).toEqual(['m1@12']);
  });

  it('counts partitions, so a timer can tell one from the next', () => {
    const { net, ab } = setup({ policy: 'hold' });
    net.partition(['a'], ['b']);
    net.partition(['a'], ['b']); // already cut: the same partition
    expect(ab.partitionEpoch).toBe(1);
    net.repair();
    net.partition(['b'], ['a']);
    expect(ab.partitionEpoch).toBe(2);
  });

  it('a zero latency still arrives through a timer (a later event)', async () => {
    const { sim, arrivals, send } = setup({ policy: 'hold', latencyMs: 0 });
    send('a', 'b', 'm1');
    expect(arrivals).toEqual([]);
    await sim.run();
    expect(arrivals).toEqual(['m1@0']);
  });
});

describe("SimNetwork 'drop' (the Redis cluster bus)", () => {
  it('loses at once what is sent across a partition, and delivers again after repair', async () => {
    const { sim, net, arrivals, lost, send } = setup({ policy: 'drop', latencyMs: 2 });
    net.partition(['a'], ['b']);
    send('a', 'b', 'm1');
    expect(lost).toEqual(['m1@0']);
    await sim.advanceBy(5);
    net.repair();
    send('a', 'b', 'm2');
    await sim.run();
    expect(arrivals).toEqual(['m2@7']);
    expect(lost).toEqual(['m1@0']);
  });

  it('delivers what was already on the wire when the cut came', async () => {
    const { sim, net, arrivals, lost, send } = setup({ policy: 'drop', latencyMs: 5 });
    send('a', 'b', 'm1');
    net.partition(['a'], ['b']);
    await sim.run();
    expect(arrivals).toEqual(['m1@5']);
    expect(lost).toEqual([]);
  });

  it('a zero latency delivers inline', () => {
    const { arrivals, send } = setup({ policy: 'drop', latencyMs: 0 });
    send('a', 'b', 'm1');
    expect(arrivals).toEqual(['m1@0']);
  });
});

describe('SimNetwork slow', () => {
  it('adds the extra delay at the sender, then the latency; repair removes it', async () => {
    const { sim, net, ab, arrivals, send } = setup({ policy: 'drop', latencyMs: 1 });
    net.slow('a', 'b', 30);
    expect(ab.extraLatencyMs).toBe(30);
    send('a', 'b', 'm1');
    await sim.run();
    expect(arrivals).toEqual(['m1@31']);
    net.repair();
    send('b', 'a', 'm2');
    await sim.run();
    expect(arrivals).toEqual(['m1@31', 'm2@32']);
  });

  it("slowFrom delays one direction only (a server's replies), and repair removes it", async () => {
    const { sim, ab, arrivals, send } = setup({ policy: 'drop', latencyMs: 1 });
    ab.slowFrom('b', 40);
    expect(ab.extraLatencyMs).toBe(40);
    send('a', 'b', 'request');
    send('b', 'a', 'reply');
    await sim.run();
    expect(arrivals).toEqual(['request@1', 'reply@41']);
    expect(() => ab.slowFrom('c', 1)).toThrow(/c is not an end of the link/);
    expect(() => ab.slowFrom('b', -1)).toThrow(RangeError);
    ab.heal();
    send('b', 'a', 'after');
    await sim.run();
    expect(arrivals.at(-1)).toBe('after@42');
  });

  it('loses a message whose sender is gone before it leaves the output buffer', async () => {
    const { sim, net, arrivals } = setup({ policy: 'drop', latencyMs: 1 });
    let senderUp = true;
    const lost: number[] = [];
    net.slow('a', 'b', 10);
    net.send('a', 'b', {
      arrive: () => arrivals.push('m1'),
      lost: () => lost.push(sim.clock.now()),
      leaves: () => senderUp,
    });
    senderUp = false;
    await sim.run();
    expect(arrivals).toEqual([]);
    expect(lost).toEqual([10]);
  });
});

describe('SimNetwork refusals', () => {
  it('refuses unknown hosts, duplicate links, missing links and a host on both sides', () => {
    const { net } = setup({ policy: 'hold' });
    expect(() => net.connect('a', 'x', { policy: 'hold' })).toThrow(/no host x/);
    expect(() => net.connect('b', 'a', { policy: 'drop' })).toThrow(/linked already/);
    expect(() => net.link('a', 'c')).toThrow(/no link between a and c/);
    expect(() => net.partition(['a'], ['a'])).toThrow(/on both sides/);
    expect(() => net.addHost('a')).toThrow(/exists already/);
    expect(() => net.connect('a', 'c', { policy: 'hold', latencyMs: -1 })).toThrow(RangeError);
  });
});
