export { loadConfig, readTracePg, configToEnv, copyFormatFor, isLocalDatabase, readDotEnv, ConfigError, type Config, type ConfigInput } from './config.js';
export { parseSize, formatBytes } from './size.js';
export { maskUrl } from './secrets.js';
