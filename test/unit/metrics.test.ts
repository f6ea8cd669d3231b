import fc from 'fast-check'
import {Counter, Histogram, Registry} from 'prom-client'
import {describe, expect, it} from 'vitest'

import type {DeliveryOutcome} from '../../src/receiver/delivery-handler.js'
import {ServeMetrics} from '../../src/receiver/metrics.js'

const NAMES = ['zoomctl_deliveries_total', 'zoomctl_dedupe_copies_total', 'zoomctl_answer_duration_seconds', 'zoomctl_delivery_body_bytes']

/** The exposition's lines of these metrics, sorted: the order of series is the order they were first seen, which the two need not share. */
function linesOf(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => NAMES.some((name) => line.startsWith(name) || line.includes(` ${name} `)))
    .sort()
}

describe("serve's request counters", () => {
  it("expose what prom-client's own Counter and Histogram expose for the same requests, and are reset with the registry", async () => {
    const outcome = fc.record({
      result: fc.constantFrom('accepted', 'duplicate', 'challenge', 'refused', 'rejected', 'error'),
      eventType: fc.option(fc.constantFrom('meeting.started', 'meeting.ended', 'a"b\\c\nd'), {nil: undefined}),
      app: fc.option(fc.constantFrom('sales', 'support'), {nil: undefined}),
      durationMs: fc.oneof(fc.double({min: 0, max: 10_000, noNaN: true}), fc.constantFrom(0.5, 1, 2.5, 3000)),
      bodyBytes: fc.option(fc.oneof(fc.nat({max: 5_000_000}), fc.constantFrom(256, 1024, 1_048_576)), {nil: undefined}),
    })
    await fc.assert(
      fc.asyncProperty(fc.array(outcome, {maxLength: 60}), fc.option(fc.nat(60), {nil: undefined}), async (outcomes, resetAt) => {
        const metrics = new ServeMetrics({forwarding: () => [], revalidation: {lastAnsweredSeconds: undefined, status: () => ({overdue: []})} as never})
        // The same requests counted by prom-client's classes, as serve counted them before.
        const registry = new Registry()
        const registers = [registry]
        const deliveries = new Counter({name: NAMES[0]!, help: 'Requests to the webhook path by verdict (accepted, duplicate, challenge, refused, rejected, error), event type and Zoom app', labelNames: ['result', 'event_type', 'app'], registers})
        const duplicates = new Counter({name: NAMES[1]!, help: 'Deliveries recognised as copies of one already stored (Zoom retries), by event type', labelNames: ['event_type'], registers})
        const answers = new Histogram({name: NAMES[2]!, help: 'Time from the request to the answer, by verdict (Zoom waits 3 s)', labelNames: ['result'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5], registers})
        const sizes = new Histogram({name: NAMES[3]!, help: 'Body sizes of the requests to the webhook path, by verdict', labelNames: ['result'], buckets: [256, 512, 1024, 2048, 4096, 8192, 16_384, 65_536, 262_144, 1_048_576, 4_194_304], registers})
        for (const [n, given] of outcomes.entries()) {
          // The registry's reset clears every series, as prom-client's own metrics are cleared.
          if (n === resetAt) {
            metrics.registry.resetMetrics()
            registry.resetMetrics()
          }
          metrics.observe({...given, status: 200, receivedAt: '', remoteAddress: ''} as DeliveryOutcome)
          const eventType = given.result === 'rejected' ? '' : (given.eventType ?? '')
          deliveries.inc({result: given.result, event_type: eventType, app: given.app ?? ''})
          if (given.result === 'duplicate') duplicates.inc({event_type: eventType})
          answers.observe({result: given.result}, given.durationMs / 1000)
          if (given.bodyBytes !== undefined) sizes.observe({result: given.result}, given.bodyBytes)
        }
        expect(linesOf((await metrics.exposition()).text)).toEqual(linesOf(await registry.metrics()))
      }),
      {numRuns: 200},
    )
  })
})
