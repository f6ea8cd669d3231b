import {APP_NAME_PATTERN, type AppToken} from '../zoom/apps.js'
import {resolveSecretText} from './file.js'
import {OptionError} from './parse.js'

/**
 * --app-token values (NAME=SECRET, NAME=env:VAR or NAME=file:PATH; the config file's map becomes these)
 * → one token per app, each name once.
 */
export function parseAppTokens(values: string[] = []): AppToken[] {
  const apps: AppToken[] = []
  for (const value of values) {
    const index = value.indexOf('=')
    const name = index > 0 ? value.slice(0, index) : ''
    if (!APP_NAME_PATTERN.test(name)) {
      throw new OptionError(`--app-token needs NAME=SECRET (or NAME=env:VAR, NAME=file:PATH), NAME of letters, digits, . _ -: "${index > 0 ? name : '…'}" is not`, {
        hint: 'in the config file: app-token: {sales: env:ZOOM_SALES_TOKEN, support: file:/run/secrets/zoom-support}',
      })
    }
    if (apps.some((app) => app.name === name)) throw new OptionError(`--app-token: the app "${name}" is named twice`)
    const secret = String(resolveSecretText(value.slice(index + 1), `--app-token ${name}`))
    if (!secret) throw new OptionError(`--app-token ${name}: the Secret Token is empty`)
    apps.push({name, secret})
  }
  return apps
}

/** simulate --app NAME: that app's Secret Token, or an error that lists the names there are. */
export function appSecret(apps: AppToken[], name: string): string {
  const app = apps.find((candidate) => candidate.name === name)
  if (app) return app.secret
  const known = apps.map((candidate) => candidate.name)
  throw new OptionError(`--app ${name}: no such app in app-token`, {
    hint: known.length ? `the apps are ${known.join(', ')}` : 'name the apps and their Secret Tokens in the config file: app-token: {sales: env:ZOOM_SALES_TOKEN}',
  })
}
