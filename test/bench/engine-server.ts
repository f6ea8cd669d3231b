// The real search engine of the tests (OpenSearch behind the product-header proxy) as a process of its own, for npm run bench (started with tsx).
import {startEngine} from '../engine/global-setup.js'

const engine = await startEngine()
if (!engine) {
  console.log(JSON.stringify({type: 'unavailable'}))
  process.exit(0)
}
console.log(JSON.stringify({type: 'listening', url: engine.url}))
process.on('SIGTERM', () => void engine.stop().then(() => process.exit(0)))
