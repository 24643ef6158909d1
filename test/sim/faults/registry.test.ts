import { describe, expect, it } from 'vitest';
import { SimFaults } from '#sim/faults/registry.ts';
import { registerUpstream } from '#sim/faults/upstream-targets.ts';
import { Simulation } from '#sim/kernel/simulation.ts';
import { SimLlmUpstream } from '#sim/llm/upstream.ts';
import { FaultError } from '#src/ports/faults.ts';

describe('SimFaults', () => {
  it('lists targets in registration order with their verbs, and dispatches by name', async () => {
    const sim = new Simulation({ seed: 1, trace: { keepLines: 10 } });
    const faults = new SimFaults({}, { trace: sim.trace });
    const upstream = new SimLlmUpstream({ model: 'm' }, { clock: sim.clock, random: sim.random });
    registerUpstream(faults, 'primary', upstream);
    faults.register('mysql/primary', { crash: () => {} });
    expect(faults.targets().map((t) => t.name)).toEqual(['upstream/primary', 'mysql/primary']);
    expect(faults.targets()[0]?.verbs).toContain('rate-limit-storm');
    await faults.inject({ verb: 'fail-next', target: 'upstream/primary', args: { count: 3 } });
    expect(upstream.faults.state.failNext).toBe(3);
    expect(sim.trace.lines[0]).toBe(
      '{"t":0,"c":"fault","k":"inject","verb":"fail-next","target":"upstream/primary","args":{"count":3}}',
    );
  });

  it('refuses an unknown target or verb with a FaultError that names what exists', async () => {
    const faults = new SimFaults();
    faults.register('mysql/primary', { crash: () => {} });
    await expect(faults.inject({ verb: 'crash', target: 'mysql/replica-9' })).rejects.toThrow(FaultError);
    await expect(faults.inject({ verb: 'crash', target: 'mysql/replica-9' })).rejects.toThrow(
      /no fault target 'mysql\/replica-9' \(targets: mysql\/primary\)/,
    );
    expect(faults.problem({ verb: 'failover', target: 'mysql/primary' })).toMatch(/has no verb 'failover'/);
    expect(faults.supports('mysql/primary', 'crash')).toBe(true);
  });

  it('refuses a target registered twice', () => {
    const faults = new SimFaults();
    faults.register('a', {});
    expect(() => faults.register('a', {})).toThrow(/registered twice/);
  });
});
