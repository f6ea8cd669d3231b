import {UserError} from '../errors.js'
import type {IssuedToken, TokenSource} from './consumer.js'

/** What the WebSocket needs of an OAuth client (ZoomOAuthClient is one). */
export interface GrantClient {
  readonly grant: string
  token(): Promise<IssuedToken>
  /** Forgets the cached token: the next token() asks Zoom for a new one. */
  invalidate(): void
}

/**
 * Which grant gets the WebSocket's token is unconfirmed (../shared/zoom/api.md D2): Zoom's WebSocket doc
 * and sample use client_credentials for both S2S and general apps; community listeners connect with an S2S
 * app's account_credentials token. Both are handled: the clients are tried in order (client_credentials
 * first, as Zoom documents it; account_credentials when an account id is given). The next one is taken when
 * the token endpoint refuses a grant (Zoom's "unsupported grant type", code zoom-grant) or when the socket
 * refuses a token it issued (TokenSource.refused); the grant that worked is kept from then on.
 */
export class GrantFallbackTokens implements TokenSource {
  private index = 0

  constructor(private readonly clients: GrantClient[]) {
    if (clients.length === 0) throw new Error('GrantFallbackTokens needs at least one client')
  }

  /** The grant in use now. */
  get grant(): string {
    return this.clients[this.index]!.grant
  }

  /** A new token for every connection ("reconnects with a new token"): Zoom's tokens may be revoked or expire with the socket. */
  async token(): Promise<IssuedToken> {
    let firstError: unknown
    for (let tried = 0; tried < this.clients.length; tried++) {
      const client = this.clients[this.index]!
      client.invalidate()
      try {
        return await client.token()
      } catch (error) {
        firstError ??= error
        if (!(error instanceof UserError && error.code === 'zoom-grant') || this.clients.length === 1) throw error
        this.index = (this.index + 1) % this.clients.length
      }
    }
    throw firstError
  }

  refused(token: IssuedToken): void {
    if (this.clients[this.index]!.grant === token.grant) this.index = (this.index + 1) % this.clients.length
  }
}
