/**
 * The sync protocol on the wire, with no stream attached: frames (a varint length prefix and a
 * payload, `frame.ts`) and what they carry (automerge-repo's CBOR, the handshake messages and their
 * guards, `messages.ts`). Exported for the tests and the fuzzer, which build and read frames with
 * the same code as the adapter.
 */
export * from './frame.ts'
export * from './messages.ts'
