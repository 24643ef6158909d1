import fc from 'fast-check';

/** A trace event's fields as JSON.stringify would write them: members after a comma, braces cut off. */
export function viaStringify(fields: object): string {
  const json = JSON.stringify(fields);
  return json.length <= 2 ? '' : `,${json.slice(1, -1)}`;
}

/**
 * JSON-like field values for the trace writers' property tests: lone surrogates and other binary
 * strings, doubles, nulls, undefined members, nested JSON and arrays with holes JSON writes as null.
 */
export const fieldValue = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.jsonValue(),
  fc.array(fc.oneof(fc.integer(), fc.string(), fc.constant(undefined))),
);

/** Field names, binary strings included. */
export const fieldKey = fc.oneof(fc.string(), fc.string({ unit: 'binary' }));
