import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { IllegalConfigurationError } from '../errors.js';
import { Configuration } from './Configuration.js';

/** Flink 1.20's standard-YAML configuration file. */
export const FLINK_CONF_FILENAME = 'config.yaml';
/** The legacy `key: value` file, read when there is no config.yaml. */
export const LEGACY_FLINK_CONF_FILENAME = 'flink-conf.yaml';

/** Where the configuration lives: `$FLINK_CONF_DIR`, else `conf/` under the working directory. */
export function resolveConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.FLINK_CONF_DIR ?? 'conf');
}

/**
 * Loads `<configDir>/config.yaml` (or the legacy `flink-conf.yaml`) and lays `dynamicProperties` (from `-D`) over it,
 * as Flink's GlobalConfiguration.loadConfiguration does.
 */
export function loadConfiguration(
  configDir: string,
  dynamicProperties: Configuration = new Configuration(),
  warn: (message: string) => void = (message) => process.stderr.write(`${message}\n`),
): Configuration {
  if (!existsSync(configDir) || !statSync(configDir).isDirectory()) {
    throw new IllegalConfigurationError(
      `The given configuration directory name '${configDir}' (${resolve(configDir)}) does not describe an existing directory.`,
    );
  }
  const yamlFile = join(configDir, FLINK_CONF_FILENAME);
  const legacyFile = join(configDir, LEGACY_FLINK_CONF_FILENAME);
  let fileConfig: Configuration;
  if (existsSync(yamlFile)) fileConfig = parseStandardYaml(readFileSync(yamlFile, 'utf8'), yamlFile);
  else if (existsSync(legacyFile)) {
    const legacy = parseLegacyYaml(readFileSync(legacyFile, 'utf8'), legacyFile);
    legacy.warnings.forEach(warn);
    fileConfig = legacy.configuration;
  }
  else throw new IllegalConfigurationError(`The Flink config file '${yamlFile}' (${resolve(yamlFile)}) does not exist.`);
  return fileConfig.merge(dynamicProperties);
}

/**
 * Parses standard YAML: nested maps flatten to dotted keys (`rest: {port: 8081}` is `rest.port`), scalars keep their
 * text, lists become their YAML flow form (`[a, b]`). Any syntax error names the file, line and column.
 */
export function parseStandardYaml(text: string, file: string): Configuration {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const error = document.errors[0];
  if (error) {
    const pos = error.linePos?.[0];
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
    throw new IllegalConfigurationError(`Error while parsing YAML configuration file ${where}: ${firstLine(error.message)}`);
  }
  const configuration = new Configuration();
  const root = document.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return configuration;
  if (!isMap(root)) {
    throw new IllegalConfigurationError(`Error while parsing YAML configuration file ${file}: the top level must be a map of keys to values.`);
  }
  flatten(root, '', configuration, file, text);
  return configuration;
}

function flatten(node: Node, prefix: string, into: Configuration, file: string, text: string): void {
  if (!isMap(node)) return;
  for (const pair of node.items) {
    const keyNode = pair.key as Node | null;
    const key = isScalar(keyNode) ? String(keyNode.value) : '';
    if (key === '') {
      throw new IllegalConfigurationError(`Error while parsing YAML configuration file ${file}:${lineOf(keyNode, text)}: empty or complex key.`);
    }
    const fullKey = prefix ? `${prefix}.${key}` : key;
    const value = pair.value as Node | null;
    if (isMap(value)) flatten(value, fullKey, into, file, text);
    else if (isSeq(value)) into.setString(fullKey, flowList(value.toJSON() as unknown[]));
    else if (isScalar(value)) into.setString(fullKey, value.value === null ? '' : String(value.value));
    else into.setString(fullKey, '');
  }
}

/** A list as Flink shows it in string form: `[a, b, 3]`. */
function flowList(items: unknown[]): string {
  return `[${items.map((item) => (Array.isArray(item) ? flowList(item) : typeof item === 'object' && item !== null ? JSON.stringify(item) : String(item))).join(', ')}]`;
}

function lineOf(node: Node | null, text: string): number {
  const offset = node?.range?.[0] ?? 0;
  return text.slice(0, offset).split('\n').length;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!;
}

/**
 * Parses the legacy flink-conf.yaml line by line as Flink does: `key: value`, `#` starts a comment; a line that is not
 * `key: value` is skipped with a warning naming the file and line.
 */
export function parseLegacyYaml(text: string, file: string): { configuration: Configuration; warnings: string[] } {
  const configuration = new Configuration();
  const warnings: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.split(' #')[0]!.replace(/^#.*/, '').trim();
    if (line === '') return;
    const separator = line.indexOf(': ');
    const key = separator > 0 ? line.slice(0, separator).trim() : '';
    const value = separator > 0 ? line.slice(separator + 2).trim() : '';
    if (key === '' || value === '') {
      warnings.push(`Error while trying to split key and value in configuration file ${file}:${index + 1}: "${raw}"`);
      return;
    }
    configuration.setString(key, value);
  });
  return { configuration, warnings };
}

/**
 * Reads `-D key=value` / `-Dkey=value` arguments (Flink's dynamic properties). Returns the properties and the other
 * arguments in order; a `-D` without `=` is an error.
 */
export function parseDynamicProperties(args: readonly string[]): { properties: Configuration; rest: string[] } {
  const properties = new Configuration();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-D' || (arg.startsWith('-D') && !arg.startsWith('--'))) {
      const spec = arg === '-D' ? args[++i] : arg.slice(2);
      if (spec === undefined) throw new IllegalConfigurationError('Missing argument for option: D (expected -D <property=value>).');
      const eq = spec.indexOf('=');
      if (eq <= 0) throw new IllegalConfigurationError(`Invalid dynamic property '-D${spec}': expected -D<property=value>, e.g. -Drest.port=8081.`);
      properties.setString(spec.slice(0, eq).trim(), spec.slice(eq + 1).trim());
    } else {
      rest.push(arg);
    }
  }
  return { properties, rest };
}
