import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Configuration } from '../../../src/common/config/Configuration.js';
import { loadConfiguration, parseDynamicProperties, parseLegacyYaml, parseStandardYaml } from '../../../src/common/config/GlobalConfiguration.js';
import { HeartbeatManagerOptions, RestOptions, TaskManagerOptions } from '../../../src/common/config/options.js';
import { parseDuration } from '../../../src/common/config/durations.js';

t.test('standard YAML: nested maps flatten to dotted keys, scalars keep their text, lists their flow form', async (t) => {
  const config = parseStandardYaml(
    ['jobmanager:', '  rpc:', '    address: jm-host', '    port: 6123', 'taskmanager.numberOfTaskSlots: 4', 'pipeline.jars: [a.jar, b.jar]', 'empty:'].join('\n'),
    'config.yaml',
  );
  t.equal(config.getString('jobmanager.rpc.address'), 'jm-host');
  t.equal(config.getString('jobmanager.rpc.port'), '6123');
  t.equal(config.get(TaskManagerOptions.NUM_TASK_SLOTS), 4);
  t.equal(config.getString('pipeline.jars'), '[a.jar, b.jar]');
  t.equal(config.getString('empty'), '');
});

t.test('malformed YAML is refused with the file, line and column', async (t) => {
  const text = ['rest:', '  port: 8081', '  address: [unclosed', 'heartbeat.interval: 1000'].join('\n');
  t.throws(() => parseStandardYaml(text, '/etc/flink/config.yaml'), { name: 'IllegalConfigurationError', message: /\/etc\/flink\/config\.yaml:\d+:\d+: / });
  t.throws(() => parseStandardYaml('a: 1\na: 2\n', 'dup.yaml'), { message: /dup\.yaml:2:1/ }, 'duplicate keys');
  t.throws(() => parseStandardYaml('- just\n- a list\n', 'list.yaml'), { message: /top level must be a map/ });
});

t.test('legacy flink-conf.yaml: key: value lines, comments, bad lines skipped with a warning naming file and line', async (t) => {
  const { configuration, warnings } = parseLegacyYaml(['# comment', 'rest.port: 8082', 'not a pair', 'heartbeat.timeout: 5000 # trailing'].join('\n'), 'flink-conf.yaml');
  t.equal(configuration.get(RestOptions.PORT), 8082);
  t.equal(configuration.get(HeartbeatManagerOptions.HEARTBEAT_TIMEOUT), 5000);
  t.same(warnings, ['Error while trying to split key and value in configuration file flink-conf.yaml:3: "not a pair"']);
});

t.test('loadConfiguration prefers config.yaml, falls back to flink-conf.yaml, and lays -D over the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'conf-'));
  writeFileSync(join(dir, 'flink-conf.yaml'), 'rest.port: 9000\n');
  t.equal(loadConfiguration(dir).get(RestOptions.PORT), 9000);
  writeFileSync(join(dir, 'config.yaml'), 'rest:\n  port: 9001\n');
  t.equal(loadConfiguration(dir).get(RestOptions.PORT), 9001);
  const dynamic = new Configuration().setString('rest.port', '9002');
  t.equal(loadConfiguration(dir, dynamic).get(RestOptions.PORT), 9002);
  t.throws(() => loadConfiguration(join(dir, 'missing')), { message: /does not describe an existing directory/ });
  t.throws(() => loadConfiguration(mkdtempSync(join(tmpdir(), 'empty-'))), { message: /config\.yaml' .* does not exist/ });
});

t.test('deprecated keys and durations', async (t) => {
  t.equal(new Configuration().setString('web.port', '8090').get(RestOptions.PORT), 8090);
  t.equal(parseDuration('1000'), 1000);
  t.equal(parseDuration('5 s'), 5000);
  t.equal(parseDuration('2min'), 120_000);
  t.throws(() => parseDuration('5 parsecs'), { message: /does not match any of the recognized units/ });
  t.throws(() => new Configuration().setString('heartbeat.interval', 'soon').get(HeartbeatManagerOptions.HEARTBEAT_INTERVAL), {
    message: /Could not parse value 'soon' for key 'heartbeat.interval'/,
  });
  t.throws(() => new Configuration().setString('rest.port', '80a').get(RestOptions.PORT), { message: /not an integer/ });
});

t.test('-D properties: both spellings, and a clear error without =', async (t) => {
  const { properties, rest } = parseDynamicProperties(['-Drest.port=1', '--configDir', 'x', '-D', 'a.b=c=d']);
  t.equal(properties.getString('rest.port'), '1');
  t.equal(properties.getString('a.b'), 'c=d');
  t.same(rest, ['--configDir', 'x']);
  t.throws(() => parseDynamicProperties(['-Drest.port']), { message: "Invalid dynamic property '-Drest.port': expected -D<property=value>, e.g. -Drest.port=8081." });
  t.throws(() => parseDynamicProperties(['-D']), { message: /Missing argument for option: D/ });
});

t.test('sensitive values are hidden in the displayed configuration', async (t) => {
  const shown = new Configuration().setString('s3.secret-key', 'x').setString('rest.port', '1').toDisplayEntries();
  t.same(shown, [
    { key: 'rest.port', value: '1' },
    { key: 's3.secret-key', value: '******' },
  ]);
});
