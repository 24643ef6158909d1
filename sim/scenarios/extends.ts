import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';

/**
 * `extends:` in scenario files. A file may build on another in two places:
 * - `extends: base.yaml` at the top level: every field of the base scenario, with this file's
 *   fields laid over it;
 * - `topology: { extends: shared.yaml, ... }`: the topology of `shared.yaml` (a scenario file, whose
 *   `topology` is taken, or a file that holds only topology fields), with this file's topology
 *   fields laid over it.
 * Laying a mapping over another merges them key by key, recursively; a list or a plain value
 * replaces what the base had, whole (a `faults:` list is never spliced); `key: null` removes the
 * key the base set. Paths are relative to the file that names them. A base is not checked on its
 * own (it may hold only part of a scenario): the merged result is, and an error names the file and
 * line that wrote the offending field.
 */

/** A YAML mapping with where each of its fields was written. */
export interface Layer {
  readonly data: Record<string, unknown>;
  /** `file:line` of the value at `path`, or undefined when no file in the chain writes it. */
  readonly locate: (path: readonly (string | number)[]) => string | undefined;
}

/** Files one `extends:` chain may pass through, the named file included. */
export const EXTENDS_DEPTH_MAX = 8;
/** Files one scenario may be built from, over both kinds of `extends:`. */
export const EXTENDS_FILES_MAX = 32;

/** What `resolveExtends` needs from the loader: the parsed layer of a file (its own `extends:` unresolved). */
export interface ExtendsReader {
  /** Reads and parses `path`; `where` and `field` name the `extends:` that asked for it, for messages. */
  read(path: string, where: string, field: string): Layer;
  /** The error to throw for a mistake in an `extends:` field (one line, already located). */
  error(message: string): Error;
}

interface Walk {
  readonly reader: ExtendsReader;
  /** Files read so far for this scenario. */
  files: number;
}

/** `layer` (read from `source`) with its `extends:` fields resolved, recursively. */
export function resolveExtends(layer: Layer, source: string, reader: ExtendsReader): Layer {
  return resolveLayer(layer, source, [canonical(source)], { reader, files: 1 });
}

function resolveLayer(layer: Layer, source: string, chain: readonly string[], walk: Walk): Layer {
  let result = layer;
  const topology = layer.data.topology;
  if (isMapping(topology) && 'extends' in topology) {
    const base = readBase(topology.extends, ['topology', 'extends'], layer, source, chain, walk);
    // A scenario file lends its topology; any other file is a topology.
    const scenario = 'kind' in base.data;
    const baseTopology = scenario ? base.data.topology : base.data;
    if (!isMapping(baseTopology))
      throw walk.reader.error(
        `${where(layer, ['topology', 'extends'], source)}: topology.extends: ${String(topology.extends)} has no topology mapping to extend`,
      );
    const { extends: _, ...own } = topology;
    const locateBase = (path: readonly (string | number)[]) =>
      base.locate(scenario ? ['topology', ...path] : path);
    result = {
      data: { ...layer.data, topology: overlay(baseTopology, own) },
      locate: (path) =>
        layer.locate(path) ??
        (path[0] === 'topology' && path.length > 1 ? locateBase(path.slice(1)) : undefined),
    };
  }
  if ('extends' in result.data) {
    const base = readBase(result.data.extends, ['extends'], layer, source, chain, walk);
    const { extends: _, ...own } = result.data;
    const child = result;
    result = { data: overlay(base.data, own), locate: (path) => child.locate(path) ?? base.locate(path) };
  }
  return result;
}

/** The resolved layer of the file an `extends:` field names. */
function readBase(
  value: unknown,
  field: readonly string[],
  layer: Layer,
  source: string,
  chain: readonly string[],
  walk: Walk,
): Layer {
  const at = where(layer, field, source);
  const name = field.join('.');
  if (typeof value !== 'string' || value.trim() === '')
    throw walk.reader.error(
      `${at}: ${name}: expected the path of a YAML file to extend, got ${shown(value)}`,
    );
  const path = isAbsolute(value) ? value : join(dirname(source), value);
  const key = canonical(path);
  const cycle = chain.indexOf(key);
  if (cycle >= 0) {
    const names = [...chain.slice(cycle), key].map((p) => basename(p)).join(' -> ');
    throw walk.reader.error(`${at}: ${name}: '${value}' extends itself (${names})`);
  }
  if (chain.length >= EXTENDS_DEPTH_MAX)
    throw walk.reader.error(
      `${at}: ${name}: more than ${EXTENDS_DEPTH_MAX} files in one extends chain (EXTENDS_DEPTH_MAX)`,
    );
  if (++walk.files > EXTENDS_FILES_MAX)
    throw walk.reader.error(
      `${at}: ${name}: a scenario built from more than ${EXTENDS_FILES_MAX} files (EXTENDS_FILES_MAX)`,
    );
  return resolveLayer(walk.reader.read(path, at, name), path, [...chain, key], walk);
}

/**
 * `own` laid over `base`: mappings merge key by key, anything else in `own` replaces, a null in
 * `own` removes the key. Neither input is changed; the base's keys keep their order.
 */
export function overlay(
  base: Record<string, unknown>,
  own: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(base)) define(out, key, base[key]);
  for (const key of Object.keys(own)) {
    const value = own[key];
    const under = Object.hasOwn(out, key) ? out[key] : undefined;
    if (value === null) delete out[key];
    else define(out, key, isMapping(value) && isMapping(under) ? overlay(under, value) : value);
  }
  return out;
}

// An own data property even for a key such as `__proto__`, which assignment would not create.
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function where(layer: Layer, path: readonly string[], source: string): string {
  return layer.locate(path) ?? source;
}

/** The file's identity for cycle checks: its real path when it exists, else the absolute path. */
function canonical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function shown(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === 'object') return Array.isArray(value) ? 'a list' : 'a mapping';
  return typeof value === 'string' ? '""' : String(value);
}
