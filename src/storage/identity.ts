/**
 * The peer's identity in Node.js: the key kept in the data directory. The browser build swaps this
 * file for `identity.browser.ts` (one identity per tab).
 */
export { loadStoredIdentity as loadIdentity } from './stored-identity.ts'
