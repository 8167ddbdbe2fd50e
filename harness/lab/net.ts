/**
 * A simulated internet in network namespaces (needs root): a public segment (a bridge in the
 * `pub` namespace, where the server peers and coturn run on 198.51.100.1) and home networks, each
 * a router namespace doing iptables NAT and a host namespace behind it.
 *
 * - `easy` NAT: `MASQUERADE` (Linux keeps the source port when it is free: port preserving)
 * - `hard` NAT: `MASQUERADE --random-fully` (a new random port per destination: endpoint dependent)
 *
 * Both routers drop unsolicited inbound traffic (FORWARD and INPUT from the WAN only
 * ESTABLISHED,RELATED), like real home routers. Every veth is created directly inside its
 * namespaces, so nothing touches the root namespace, and no namespace has a route to the machine's
 * own interfaces: traffic cannot leave the lab. `close()` kills every process started in the lab's
 * namespaces and deletes them; `process.on('exit')` does the same if the caller forgets.
 */
import { execFile, execFileSync, spawn } from 'node:child_process'
import { promisify } from 'node:util'
import type { ChildProcess, SpawnOptions } from 'node:child_process'

const run = promisify(execFile)

export type NatType = 'easy' | 'hard'

export interface HomeInit {
  /** a letter or short word, part of the namespace names */
  name: string
  nat: NatType
}

export interface LabInit {
  /** namespace name prefix; every namespace of the lab starts with it */
  prefix: string
  homes: HomeInit[]
}

export interface Home extends HomeInit {
  /** namespace of the peer behind the NAT */
  host: string
  /** namespace of the NAT router */
  router: string
  /** the host's address on its LAN */
  hostIp: string
  /** the router's public (WAN) address: what the internet sees of the host */
  publicIp: string
}

/** The public segment's subnet: a documentation range (libp2p counts it as private). */
export const PUBLIC_SUBNET = '198.51.100'
/** Address of the `pub` namespace on the public segment: servers and coturn listen here. */
export const PUBLIC_IP = `${PUBLIC_SUBNET}.1`

const live = new Set<Lab>()

process.on('exit', () => {
  for (const lab of live) {
    lab.closeSync()
  }
})

export class Lab {
  readonly prefix: string
  readonly pub: string
  readonly homes: Home[]
  private readonly children = new Set<ChildProcess>()

  private constructor (init: LabInit) {
    this.prefix = init.prefix
    this.pub = `${init.prefix}pub`
    this.homes = init.homes.map((home, i) => ({
      ...home,
      host: `${init.prefix}h${home.name}`,
      router: `${init.prefix}r${home.name}`,
      hostIp: `10.0.${i + 1}.2`,
      publicIp: `${PUBLIC_SUBNET}.${11 + i}`
    }))
  }

  get namespaces (): string[] {
    return [this.pub, ...this.homes.flatMap(home => [home.router, home.host])]
  }

  home (name: string): Home {
    const home = this.homes.find(h => h.name === name)

    if (home == null) {
      throw new Error(`no home network "${name}" in this lab`)
    }

    return home
  }

  /**
   * Builds the namespaces; on any failure removes what was built and rethrows.
   */
  static async create (init: LabInit): Promise<Lab> {
    const lab = new Lab(init)
    live.add(lab)

    try {
      await lab.build()
    } catch (err) {
      await lab.close()
      throw err
    }

    return lab
  }

  private async build (): Promise<void> {
    for (const ns of this.namespaces) {
      await run('ip', ['netns', 'add', ns])
    }

    // [namespace, ip command]: run in order, consecutive commands of one namespace in one batch
    const steps: Array<[string, string]> = this.namespaces.map(ns => [ns, 'link set lo up'])

    steps.push(
      [this.pub, 'link add br0 type bridge'],
      [this.pub, `addr add ${PUBLIC_IP}/24 dev br0`],
      [this.pub, 'link set br0 up']
    )

    this.homes.forEach((home, i) => {
      const lan = `10.0.${i + 1}`
      steps.push(
        // router WAN <-> a port of the public bridge
        [home.router, `link add wan type veth peer name r${home.name} netns ${this.pub}`],
        [this.pub, `link set r${home.name} master br0`],
        [this.pub, `link set r${home.name} up`],
        [home.router, `addr add ${home.publicIp}/24 dev wan`],
        [home.router, 'link set wan up'],
        // router LAN <-> host
        [home.router, `link add lan type veth peer name eth0 netns ${home.host}`],
        [home.router, `addr add ${lan}.1/24 dev lan`],
        [home.router, 'link set lan up'],
        [home.host, `addr add ${home.hostIp}/24 dev eth0`],
        [home.host, 'link set eth0 up'],
        [home.host, `route add default via ${lan}.1`]
      )
    })

    for (let i = 0; i < steps.length;) {
      const ns = steps[i][0]
      const batch: string[] = []

      while (i < steps.length && steps[i][0] === ns) {
        batch.push(steps[i++][1])
      }

      await ip(ns, batch)
    }

    await Promise.all(this.homes.map(async (home, i) => {
      await this.exec(home.router, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1'])
      await this.exec(home.router, 'iptables-restore', [], routerRules(`10.0.${i + 1}.0/24`, home.nat))
    }))
  }

  /**
   * Runs a command in a namespace and resolves with its stdout.
   */
  async exec (ns: string, command: string, args: string[] = [], stdin?: string): Promise<string> {
    const child = execFile('ip', ['netns', 'exec', ns, command, ...args], { maxBuffer: 16 << 20 })
    const done = new Promise<string>((resolve, reject) => {
      let out = ''
      let errOut = ''
      child.stdout?.on('data', chunk => { out += String(chunk) })
      child.stderr?.on('data', chunk => { errOut += String(chunk) })
      child.on('error', reject)
      child.on('exit', code => {
        code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} in ${ns} exited ${code}: ${errOut.trim()}`))
      })
    })

    // a command that exits without reading its input closes the pipe (EPIPE on the write): its
    // exit code is what tells, not the write
    child.stdin?.on('error', () => {})
    child.stdin?.end(stdin ?? '')
    return done
  }

  /**
   * Starts a long-running process in a namespace; `close()` kills it.
   */
  spawn (ns: string, command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, command, ...args], options)
    this.children.add(child)
    child.once('exit', () => { this.children.delete(child) })
    return child
  }

  /**
   * Kills every process in the lab's namespaces and deletes them.
   */
  async close (): Promise<void> {
    live.delete(this)

    for (const child of this.children) {
      child.kill('SIGKILL')
    }

    await Promise.all(this.namespaces.map(async ns => {
      await killAll(ns)
      await run('ip', ['netns', 'del', ns]).catch(() => {})
    }))
  }

  /**
   * The same as `close()`, for `process.on('exit')`, where nothing asynchronous runs.
   */
  closeSync (): void {
    live.delete(this)

    for (const ns of this.namespaces) {
      try {
        const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        pids.split(/\s+/).filter(Boolean).forEach(pid => { try { process.kill(Number(pid), 'SIGKILL') } catch {} })
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' })
      } catch {}
    }
  }
}

async function killAll (ns: string): Promise<void> {
  const { stdout } = await run('ip', ['netns', 'pids', ns]).catch(() => ({ stdout: '' }))

  for (const pid of stdout.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL')
    } catch {}
  }
}

async function ip (ns: string, batch: string[]): Promise<void> {
  const child = execFile('ip', ['-n', ns, '-batch', '-'])
  const done = new Promise<void>((resolve, reject) => {
    let errOut = ''
    child.stderr?.on('data', chunk => { errOut += String(chunk) })
    child.on('error', reject)
    child.on('exit', code => { code === 0 ? resolve() : reject(new Error(`ip -batch failed (${code}): ${errOut.trim()}`)) })
  })
  child.stdin?.on('error', () => {})
  child.stdin?.end(batch.join('\n') + '\n')
  await done
}

/**
 * A home router: NAT from the LAN to the WAN, nothing from the WAN that the LAN did not start.
 */
export function routerRules (lan: string, nat: NatType): string {
  return [
    '*nat',
    `-A POSTROUTING -s ${lan} -o wan -j MASQUERADE${nat === 'hard' ? ' --random-fully' : ''}`,
    'COMMIT',
    '*filter',
    ':INPUT DROP [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    '-A INPUT -i lo -j ACCEPT',
    '-A INPUT -i lan -j ACCEPT',
    '-A INPUT -i wan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
    '-A FORWARD -i lan -o wan -j ACCEPT',
    '-A FORWARD -i wan -o lan -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
    'COMMIT',
    ''
  ].join('\n')
}
