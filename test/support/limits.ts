import { expect } from 'vitest';
import { checkLimits, type CheckOptions, type CheckedRecord, type LimitReport, type LimitSpec } from '@ork/simulator';

/**
 * The limit assertion of every e2e test: the promise is on departures (each worker stamps the
 * moment it hands a request to its socket, TEST_HOOKS), checked exactly against the configured
 * limits. Arrival stamps at the fake can run late when its process waits for CPU, so arrival
 * gaps are only reported, with ARRIVAL_TOLERANCE_MS; they never decide a test.
 */
export function expectWithinLimits(
  records: readonly CheckedRecord[],
  limits: LimitSpec,
  keys: readonly string[],
  per: Pick<CheckOptions, 'limitsPer' | 'spacingPer'> = {},
): LimitReport {
  const report = checkLimits(records, limits, { ...per, countOnlyKeys: keys });
  if (report.arrivals.length > 0) {
    // Reported, not asserted: see ARRIVAL_TOLERANCE_MS.
    console.warn(`arrivals beyond the ${report.arrivalToleranceMs} ms tolerance:`, report.arrivals);
  }
  expect(report.missingDepartures, 'completion records without a departure stamp').toBe(0);
  expect(report.departures).toEqual([]);
  return report;
}
