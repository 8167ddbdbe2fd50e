/**
 * Medians and ranges of the figures of several rounds.
 */
export interface Summary {
  median: number
  min: number
  max: number
  n: number
}

export function summarize (values: number[]): Summary | undefined {
  const sorted = values.filter(v => Number.isFinite(v)).sort((a, b) => a - b)

  if (sorted.length === 0) {
    return undefined
  }

  const mid = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2

  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length }
}

/**
 * A number with about three significant digits.
 */
export function fmt (value: number | undefined): string {
  if (value == null || !Number.isFinite(value)) {
    return '-'
  }

  const abs = Math.abs(value)

  if (abs >= 100) {
    return value.toFixed(0)
  }

  if (abs >= 10) {
    return value.toFixed(1)
  }

  if (abs >= 1) {
    return value.toFixed(2)
  }

  return value.toPrecision(2)
}

export function now (): number {
  // a wall clock with sub-millisecond resolution that agrees across processes of one machine
  return performance.timeOrigin + performance.now()
}
