/**
 * What `npm test` needs from the machine beyond Node.js and node_modules, one row per program or
 * right. A row says how to find it, which Debian package provides it (the check installs those as
 * root with apt) and what to tell the person otherwise. Add a row for a new suite's needs
 * (iptables, coturn...).
 */
import { CHROMIUM_ENV, chromiumPath, findOnPath, isExecutable } from '../../harness/machine.ts'

export interface Machine {
  env: NodeJS.ProcessEnv
  /**
   * The user id the tests run as (root creates the network namespaces).
   */
  uid: number
}

export interface Requirement {
  name: string
  /**
   * Which tests need it.
   */
  neededBy: string
  /**
   * Where it was found (a path, or a short description), or undefined when missing.
   */
  find(machine: Machine): string | undefined
  /**
   * The Debian package that provides it, when apt can: undefined when installing would not help.
   */
  apt?(machine: Machine): string | undefined
  /**
   * How to get it without apt, for the one-line failure.
   */
  howTo: string
}

function program (name: string, pkg: string, neededBy: string): Requirement {
  return {
    name,
    neededBy,
    find: ({ env }) => findOnPath(name, env),
    apt: () => pkg,
    howTo: `apt-get install ${pkg}`
  }
}

const NAMESPACES = 'the network namespaces of the browser and mDNS tests'

export const REQUIREMENTS: Requirement[] = [
  {
    name: 'root',
    neededBy: NAMESPACES,
    find: ({ uid }) => uid === 0 ? 'uid 0' : undefined,
    howTo: 'run it as root: unshare -n needs root'
  },
  program('unshare', 'util-linux', NAMESPACES),
  program('ip', 'iproute2', NAMESPACES),
  program('openssl', 'openssl', 'the TLS tests (test certificates)'),
  // the NAT lab (test/lab-*.node.ts, harness/lab/): home routers are iptables NAT, STUN/TURN is coturn
  program('iptables-restore', 'iptables', 'the NAT lab (home routers)'),
  program('turnserver', 'coturn', 'the NAT lab (STUN/TURN server)'),
  {
    name: 'chromium',
    neededBy: 'the browser tests',
    find: ({ env }) => {
      const path = chromiumPath(env)
      return path != null && isExecutable(path) ? path : undefined
    },
    // a Chromium of the person's choosing that is not there is theirs to fix: apt would not put it there
    apt: ({ env }) => env[CHROMIUM_ENV] == null || env[CHROMIUM_ENV] === '' ? 'chromium' : undefined,
    howTo: `apt-get install chromium, or set ${CHROMIUM_ENV}=/path/to/chromium to use one you have`
  }
]
