/**
 * Lets a workload module in a child process report something as it happens.
 */
export function emit (event: string, data?: unknown): void {
  process.send?.({ event, data })
}
