export { MIN_SECRET_CHARS, REDACTED, SecretRedactor } from './secret-redactor.js';
export {
  type ConfiguredSecrets,
  configuredSecrets,
  connectionPasswords,
  maskConnectionString,
  redactSecrets,
  redactSecretsDeep,
  registerConfiguredSecrets,
  secrets,
} from './secrets.js';
