export {type AuthOptions, resolveAuth} from './auth.js'
export {readUserFile} from './files.js'
export {applyAssignment, OptionError, parseAssignment, parseDuration, parseHeader, parseSize, parseTimePoint} from './parse.js'
export {appSecret, parseAppTokens} from './apps.js'
