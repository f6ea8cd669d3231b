export {type AuthOptions, resolveAuth} from './auth.js'
export {applyAssignment, OptionError, parseAssignment, parseDuration, parseHeader, parseSize} from './parse.js'
