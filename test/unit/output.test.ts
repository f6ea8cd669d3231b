import {describe, expect, it} from 'vitest'

import {formatOutcome, printable} from '../../src/output/serve.js'

describe('console output of request data', () => {
  it('escapes control characters so that a signed body cannot forge console lines', () => {
    expect(printable('meeting.started\n\u001b[31mFAKE')).toBe('meeting.started\\u000a\\u001b[31mFAKE')
    const line = formatOutcome({result: 'accepted', status: 200, receivedAt: new Date(0).toISOString(), remoteAddress: '127.0.0.1', eventType: 'a\nb\u001b[2J', durationMs: 1})
    // eslint-disable-next-line no-control-regex -- the point of the test
    expect(line).not.toMatch(/[\n\u001b]/)
  })
})
