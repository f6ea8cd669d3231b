/**
 * The one error type for failures a user can act on: what went wrong (message), what to do next (hint),
 * and a category that decides the exit status — bad input is 2, everything else expected is 1.
 * Anything that is not a UserError is a bug and keeps its stack (shown with DEBUG).
 */
export type ErrorCategory = 'input' | 'network' | 'tls' | 'auth' | 'elastic' | 'filesystem'

export class UserError extends Error {
  constructor(
    message: string,
    readonly options: {category?: ErrorCategory; code?: string; hint?: string} = {},
  ) {
    super(message)
    this.name = 'UserError'
  }

  get category(): ErrorCategory {
    return this.options.category ?? 'input'
  }

  get code(): string {
    return this.options.code ?? this.category
  }

  get hint(): string | undefined {
    return this.options.hint
  }

  get exitCode(): number {
    return this.category === 'input' ? 2 : 1
  }
}
