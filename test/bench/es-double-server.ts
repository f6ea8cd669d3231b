// The strict Elasticsearch double as a process of its own, for npm run bench (started with tsx).
import {ElasticsearchDouble} from '../doubles/elasticsearch.js'

const double = await new ElasticsearchDouble().start()
console.log(JSON.stringify({type: 'listening', url: double.url}))
process.on('SIGTERM', () => void double.stop().then(() => process.exit(0)))
