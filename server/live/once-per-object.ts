/**
 * `make(object)`, made once per object and forgotten with it. Streams use it to hand every
 * subscriber of one published event the same derived object, which is what lets its result be shared.
 */
export function oncePerObject<K extends object, V>(make: (key: K) => V): (key: K) => V {
  const made = new WeakMap<K, V>();
  return (key) => {
    if (made.has(key)) return made.get(key) as V;
    const value = make(key);
    made.set(key, value);
    return value;
  };
}
