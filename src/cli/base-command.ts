import {Command, Errors} from '@oclif/core'

import {StoreError} from '../store/index.js'
import {AuthConfigError} from '../zoom/auth.js'
import {OptionError} from '../config/index.js'

/**
 * Every zoomctl command: --json (oclif's enableJsonFlag), and known errors shown as one clear line with
 * what to do next instead of a stack trace.
 */
export abstract class ZoomctlCommand extends Command {
  static override enableJsonFlag = true

  protected override async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    if (error instanceof OptionError || error instanceof AuthConfigError || error instanceof StoreError) {
      // Exit 2 for bad input, with or without --json (oclif's JSON path would otherwise exit 1).
      process.exitCode = 2
      return super.catch(new Errors.CLIError(error.message, {exit: 2}))
    }
    return super.catch(error)
  }

  /** Ends the command with exit status 1 while still printing its result (under --json too). */
  protected failed<T>(result: T): T {
    process.exitCode = 1
    return result
  }

  /** True when output goes to a person: not --json. */
  protected get human(): boolean {
    return !this.jsonEnabled()
  }
}
