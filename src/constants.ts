/**
 * Protocol ids are built as `/${PROTOCOL_PREFIX}/${name}/${version}`.
 */
export const PROTOCOL_PREFIX = 'docpeer'
