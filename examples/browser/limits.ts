/**
 * Limits of the demo's todo list, shared by the page and the demo server (scripts/demo/index.ts).
 * Without one, a 10,000-character todo made a 4,746 px row on a phone; the page also clips what
 * other peers wrote, since a peer may not run this page.
 */
export const MAX_TODO_LENGTH = 280
export const MAX_TITLE_LENGTH = 80

/**
 * Text cut to `max` characters, with an ellipsis when something was cut.
 */
export function clip (text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}
