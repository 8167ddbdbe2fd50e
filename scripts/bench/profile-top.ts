/* eslint-disable no-console -- a command-line tool: its output is the point */
/**
 * Summarizes V8 CPU profiles (from `npm run bench -- --cpu-prof DIR`): self time per function and
 * per package, so "where does the time go" has an answer without a GUI. Usage:
 * `node scripts/bench/profile-top.ts FILE.cpuprofile [more files] [--top N]`
 */
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'

interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number }
  children?: number[]
}

interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

function packageOf (url: string): string {
  if (url === '') {
    return '(native/vm)'
  }

  const nm = url.lastIndexOf('node_modules/')

  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/')
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]
  }

  if (url.startsWith('node:')) {
    return 'node:*'
  }

  const src = url.indexOf('/src/')
  return src >= 0 ? `docpeer ${url.slice(src + 1).split('/').slice(0, 2).join('/')}` : url.split('/').slice(-2).join('/')
}

async function main (): Promise<void> {
  const { values, positionals } = parseArgs({ options: { top: { type: 'string' } }, allowPositionals: true })
  const top = Number(values.top ?? 25)
  const byFunction = new Map<string, number>()
  const byPackage = new Map<string, number>()
  const inclusive = new Map<string, number>()
  let total = 0

  for (const file of positionals) {
    const profile: Profile = JSON.parse(await readFile(file, 'utf8'))
    const nodes = new Map(profile.nodes.map(node => [node.id, node]))
    const parents = new Map<number, number>()

    for (const node of profile.nodes) {
      for (const child of node.children ?? []) {
        parents.set(child, node.id)
      }
    }

    for (let i = 0; i < profile.samples.length; i++) {
      const node = nodes.get(profile.samples[i])
      const dt = (profile.timeDeltas[i] ?? 0) / 1000

      if (node == null) {
        continue
      }

      const { functionName, url, lineNumber } = node.callFrame
      const key = `${functionName === '' ? '(anonymous)' : functionName} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/work\/main\//, '')}:${lineNumber + 1}`
      byFunction.set(key, (byFunction.get(key) ?? 0) + dt)
      const pkg = packageOf(url)
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt)
      total += dt

      // every package on the stack of this sample: time spent in it or in what it called
      const seen = new Set<string>()

      for (let id: number | undefined = node.id; id != null; id = parents.get(id)) {
        const frame = nodes.get(id)?.callFrame

        if (frame != null && frame.url !== '') {
          seen.add(packageOf(frame.url))
        }
      }

      for (const pkg of seen) {
        inclusive.set(pkg, (inclusive.get(pkg) ?? 0) + dt)
      }
    }
  }

  const print = (title: string, map: Map<string, number>): void => {
    console.info(`\n${title} (self time, of ${total.toFixed(0)} ms sampled)`)

    for (const [key, ms] of [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.info(`${ms.toFixed(1).padStart(9)} ms ${(100 * ms / total).toFixed(1).padStart(5)}%  ${key}`)
    }
  }

  print('by package', byPackage)
  print('by package, inclusive (the package or what it called)', inclusive)
  print('by function', byFunction)
}

await main()
