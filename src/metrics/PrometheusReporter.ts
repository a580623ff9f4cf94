import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, Registry } from 'prom-client';
import type { Configuration } from '../common/config/Configuration.js';
import { MetricOptions } from '../common/config/options.js';
import { bindToFirstFreePort, parsePortRange } from '../common/net/PortRange.js';
import type { GaugeValue } from '../job/metrics.js';
import type { MetricEntry } from './MetricGroup.js';

/**
 * Metrics of one scope instance: its scope (`['taskmanager', 'job', 'task', 'operator']` names the family prefix
 * `flink_taskmanager_job_task_operator_`), its variables as labels, and its entries. Operator entries (a non-empty
 * operator) get the `operator_name` label and the scope's `operator` component.
 */
export interface ReportedMetrics {
  scope: string[];
  labels: Record<string, string>;
  entries: readonly MetricEntry[];
}

const HELP = 'tsflink metric (see docs/metrics.md)';

/** Prometheus allows [a-zA-Z_:][a-zA-Z0-9_:]* in names and [a-zA-Z_][a-zA-Z0-9_]* in label names. */
function promName(text: string): string {
  return text.replace(/[^a-zA-Z0-9_:]/g, '_');
}

function numeric(value: GaugeValue): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  const number = typeof value === 'number' ? value : Number(value);
  return Number.isNaN(number) && typeof value === 'string' ? undefined : number;
}

/**
 * Renders metrics in Prometheus's text format (Flink's PrometheusReporter): `flink_<scope>_<groups>_<name>` with the
 * scope's variables as labels; a key-value group (`topic=input`) contributes its key to the name and its value as a
 * label. Booleans are 1/0; strings that are not numbers (paths) are left out.
 */
export async function renderPrometheus(sources: readonly ReportedMetrics[]): Promise<string> {
  const registry = new Registry();
  const families = new Map<string, { gauge: Gauge; labelNames: string[] }>();
  for (const source of sources) {
    for (const [operator, groups, name, value] of source.entries) {
      const number = numeric(value);
      if (number === undefined) continue;
      const scope = operator ? [...source.scope, 'operator'] : source.scope;
      const labels: Record<string, string> = { ...source.labels };
      if (operator) labels.operator_name = operator;
      const nameParts = [...scope];
      for (const segment of groups ? groups.split('.') : []) {
        const eq = segment.indexOf('=');
        if (eq < 0) nameParts.push(segment);
        else {
          nameParts.push(segment.slice(0, eq));
          labels[promName(segment.slice(0, eq))] = segment.slice(eq + 1);
        }
      }
      nameParts.push(name);
      const familyName = promName(`flink_${nameParts.join('_')}`);
      const labelNames = Object.keys(labels).sort();
      let family = families.get(familyName);
      if (!family) {
        family = { gauge: new Gauge({ name: familyName, help: HELP, labelNames, registers: [registry] }), labelNames };
        families.set(familyName, family);
      }
      // A family has one set of labels; a same-named metric with other labels cannot join it and is left out.
      if (family.labelNames.join() !== labelNames.join()) continue;
      family.gauge.set(Object.fromEntries(labelNames.map((l) => [l, labels[l]!])), number);
    }
  }
  return registry.metrics();
}

/**
 * Serves `/metrics` for Prometheus to scrape (`metrics.reporter.prom.port`, a port or a range such as `9250-9260`:
 * the first free one is taken, so several TaskManagers on one host can share a range).
 */
export class PrometheusReporter {
  private server: Server | undefined;

  constructor(private readonly collect: () => ReportedMetrics[]) {}

  /**
   * Starts serving when the configuration turns the reporter on (`metrics.reporter.prom.port`, or the factory class
   * with Flink's default port 9249); resolves with the bound port, or undefined when the reporter is off.
   */
  async start(configuration: Configuration): Promise<number | undefined> {
    const portSpec = configuration.get(MetricOptions.PROMETHEUS_PORT) ?? (configuration.get(MetricOptions.PROMETHEUS_FACTORY_CLASS) ? '9249' : undefined);
    if (portSpec === undefined) return undefined;
    const host = configuration.get(MetricOptions.PROMETHEUS_HOST);
    const ports = parsePortRange(portSpec, MetricOptions.PROMETHEUS_PORT.key);
    return bindToFirstFreePort(ports, 'the Prometheus reporter', (port) => this.listen(host, port));
  }

  private listen(host: string, port: number): Promise<number> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' || (path !== '/metrics' && path !== '/')) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found. Metrics are at /metrics.\n');
        return;
      }
      renderPrometheus(this.collect()).then(
        (text) => res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text),
        (error: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${error.message}\n`),
      );
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        this.server = server;
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
