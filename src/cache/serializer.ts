// How values become Redis strings and back. The article's RedisTemplate uses Spring's
// GenericJackson2JsonRedisSerializer, i.e. JSON; we default to JSON as well (without Jackson's
// `@class` type hints, which only a JVM reader would need).

/** Turns a value into the string stored in Redis or MySQL, and back. */
export interface Serializer<V> {
  /** Encodes a value; must not return the empty string for any value a cache may hold. */
  serialize(value: V): string;
  /** Decodes what {@link Serializer.serialize} produced. */
  deserialize(text: string): V;
}

/** JSON (`JSON.stringify` / `JSON.parse`): the default serializer of L2 and L3. */
export function jsonSerializer<V>(): Serializer<V> {
  return {
    serialize(value: V): string {
      const text = JSON.stringify(value);
      // JSON.stringify(undefined) is undefined: a cache must never store "nothing" as a value.
      if (text === undefined)
        throw new TypeError('jsonSerializer: value is not JSON-serializable (undefined)');
      return text;
    },
    deserialize(text: string): V {
      return JSON.parse(text) as V;
    },
  };
}
