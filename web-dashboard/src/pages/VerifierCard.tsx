import { Card, Message } from '../components/common';
import { formatCount, formatTime, formatWatermark, isNumber, list, text } from '../format';
import { usePoll } from '../poll';
import type { VerifierStatus } from '../types';

const TOTALS = [
  ['ok', 'OK'],
  ['wrong', 'Wrong'],
  ['missing', 'Missing'],
  ['duplicate', 'Duplicate'],
] as const;

const SHOWN_PROBLEMS = 5;

/**
 * tsflink's output verifier: how many windows of the output topic are right, wrong, missing or duplicated. Hidden when
 * the cluster has no verifier (404) or it has not answered yet.
 */
export function VerifierCard() {
  const verifier = usePoll<VerifierStatus>('./playground/verifier', { quiet: true });
  const v = verifier.data;
  if (verifier.status === 404 || v === undefined || v === null || typeof v !== 'object') return null;
  const problems = list(v.problems).slice(-SHOWN_PROBLEMS).reverse();
  return (
    <Card
      title="Output Verifier"
      class="verifier"
      actions={
        <span class="muted">
          topic <code>{text(v.topic)}</code> · {text(v.status)} · updated {formatTime(v.updated)}
        </span>
      }
    >
      <div class="statistics">
        {TOTALS.map(([key, label]) => (
          <div key={key} class={`statistic verifier-${key}${v.windows?.[key] ? '' : ' verifier-none'}`} data-stat={`verifier-${key}`}>
            <div class="statistic-value">{formatCount(v.windows?.[key])}</div>
            <div class="statistic-label">{label}</div>
          </div>
        ))}
      </div>
      <p class="muted">Latest window end: {isNumber(v['latest-window-end']) && v['latest-window-end'] >= 0 ? formatWatermark(v['latest-window-end']) : '—'}</p>
      {problems.length === 0 ? (
        <Message>No problems found.</Message>
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th>Problem</th>
              <th>Page</th>
              <th>Window Start</th>
              <th>Count</th>
            </tr>
          </thead>
          <tbody>
            {problems.map((p, i) => (
              <tr key={i}>
                <td>
                  <span class={`badge problem-${p.kind === 'wrong' || p.kind === 'missing' || p.kind === 'duplicate' ? p.kind : 'other'}`}>{text(p.kind)}</span>
                </td>
                <td>{text(p.page)}</td>
                <td>{isNumber(p['window-start']) ? formatWatermark(p['window-start']) : '—'}</td>
                <td>{formatCount(p.count)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
