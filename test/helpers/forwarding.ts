/** What the forwarding tests share: an Elasticsearch double and serve processes stopped after each test, and Zoom bodies. */
import {afterEach} from 'vitest'

import {findEvent} from '../../src/catalog/catalog.js'
import {BodyFactory} from '../../src/sender/index.js'
import {ElasticsearchDouble, type EsDoubleOptions} from '../doubles/elasticsearch.js'
import {type ServeProcess, startServe} from './cli.js'

/** For one test file: whatever these start is stopped after its test, last started first; `cleanups` takes more. */
export function stoppedAfterEachTest(): {cleanups: Array<() => Promise<unknown>>; es: (options?: EsDoubleOptions) => Promise<ElasticsearchDouble>; serve: (args: string[]) => Promise<ServeProcess>} {
  const cleanups: Array<() => Promise<unknown>> = []
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!()
  })
  return {
    cleanups,
    async es(options = {}) {
      const double = await new ElasticsearchDouble(options).start()
      cleanups.push(() => double.stop())
      return double
    },
    async serve(args) {
      const process = await startServe(args)
      cleanups.push(() => process.stop())
      return process
    },
  }
}

/** `count` Zoom bodies of the given event types in turn, from the catalog with a fixed seed (unsigned: what sends them signs them). */
export function zoomBodies(count: number, seed: number, types: string[]): string[] {
  const factory = new BodyFactory(seed)
  return Array.from({length: count}, (_, i) => factory.body(findEvent(types[i % types.length]!)!))
}
