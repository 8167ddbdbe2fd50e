/**
 * Heap measurements after garbage collection. `--expose-gc` is switched on at runtime, so this
 * works under mocha and `node scripts/soak/index.ts` alike.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

export const MiB = 1024 * 1024

/**
 * Heap in use after a few full collections, with pauses so finalizers and closed sockets settle.
 */
export async function settledHeap (): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc()
    await new Promise(resolve => setTimeout(resolve, 20))
  }

  return process.memoryUsage().heapUsed
}

export function mib (bytes: number): string {
  return (bytes / MiB).toFixed(1)
}
