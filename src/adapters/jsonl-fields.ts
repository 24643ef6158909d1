/**
 * An event's fields as trace text: exactly the characters `JSON.stringify(fields)` writes between
 * its braces, each member preceded by a comma (`,"id":7,"user":"u-1"`; `''` for no members). The
 * trace writes millions of events, and serialising the fields was a third of the cost of each
 * (`JSON.stringify` plus cutting its braces off); this writes the flat values every event carries
 * (strings, numbers, booleans, null) directly and hands everything else to `JSON.stringify`.
 *
 * Identical output is the contract: the members and their order are JSON.stringify's
 * (ECMA-262 SerializeJSONObject: own enumerable string keys in property order, members whose value
 * is `undefined`, a function or a symbol left out), a string without a character JSON escapes is
 * quoted as it is, a number is `Number.prototype.toString`'s text (`null` when not finite), and
 * any object value goes to `JSON.stringify` itself. An object this cannot vouch for (not a plain
 * object, or one with a `toJSON` method anywhere it would be called) is serialised by
 * `JSON.stringify` whole.
 */
export function fieldsJson(fields: object): string {
  if (Object.getPrototypeOf(fields) !== Object.prototype) return viaStringify(fields);
  const record = fields as Record<string, unknown>;
  let out = '';
  // for-in visits the own enumerable string keys in JSON.stringify's order; Object.prototype
  // has no enumerable members, so nothing inherited is visited.
  for (const key in record) {
    const value = record[key];
    switch (typeof value) {
      case 'string':
        out += keyText(key) + (NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`);
        break;
      case 'number':
        out += keyText(key) + (Number.isFinite(value) ? `${value}` : 'null');
        break;
      case 'boolean':
        out += keyText(key) + (value ? 'true' : 'false');
        break;
      case 'object': {
        if (value === null) {
          out += `${keyText(key)}null`;
          break;
        }
        // toJSON receives the member's key from JSON.stringify(fields) but '' from a call of its
        // own: leave such a value (and a toJSON member of the fields) to the whole-object path.
        if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return viaStringify(fields);
        out += keyText(key) + JSON.stringify(value);
        break;
      }
      case 'function':
        // A toJSON method would be called on the fields themselves.
        if (key === 'toJSON') return viaStringify(fields);
        break;
      case 'undefined':
      case 'symbol':
        break;
      default:
        // bigint: JSON.stringify throws its TypeError.
        return viaStringify(fields);
    }
  }
  return out;
}

/** The characters QuoteJSONString escapes: `"`, `\`, controls below U+0020, and surrogates (lone ones). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the controls are what JSON escapes.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `,"key":` for each key seen, up to a bound (event keys are a small fixed vocabulary). */
const keyTexts = new Map<string, string>();
const KEY_TEXTS_MAX = 4096;

export function keyText(key: string): string {
  let text = keyTexts.get(key);
  if (text === undefined) {
    text = `,${JSON.stringify(key)}:`;
    if (keyTexts.size < KEY_TEXTS_MAX) keyTexts.set(key, text);
  }
  return text;
}

function viaStringify(fields: object): string {
  const json = JSON.stringify(fields);
  // `{}` has no members; otherwise the braces go and the members keep a leading comma.
  return json.length <= 2 ? '' : `,${json.slice(1, -1)}`;
}
