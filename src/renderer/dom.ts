// The page parts build their controls by hand (no framework): each is an element with an id the
// tests and the CSS find it by, often with a fixed text.

/** A new `tag` element with id `id` and, when given, its text. */
export function element<K extends keyof HTMLElementTagNameMap>(tag: K, id: string, text?: string): HTMLElementTagNameMap[K] {
  const made = document.createElement(tag);
  made.id = id;
  if (text !== undefined) made.textContent = text;
  return made;
}
