// Set up before every test file: what it made under the system's temporary directory goes once it is done.
import {afterAll} from 'vitest'

import {removeTempDirs} from './cli.js'

afterAll(() => removeTempDirs())
