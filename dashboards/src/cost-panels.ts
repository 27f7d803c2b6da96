import * as units from '@grafana/grafana-foundation-sdk/units';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { promQuery, row, statPanel, timeseriesPanel, WIDTH } from './house-style.js';
import { increase, rate, RANGE_WINDOW, sel, share, sumBy } from './promql.js';

/**
 * Tokens and cost (issue 15, item 4): a row of its own at the end of the Runner dashboard. Token counts are what
 * providers reported; a cost is those tokens at the configured price of the model in the region (`prices:` in
 * beacon.config.yaml). Calls whose cost is unknown are counted apart, never as 0.
 */
export function withCostPanels(builder: dashboard.DashboardBuilder): dashboard.DashboardBuilder {
  const tokens = (...extra: string[]) => sel('beacon_gen_ai_client_token_usage_tokens_sum', 'region+model', ...extra);
  const cost = sel('beacon_cost_usd_total', 'region+model');
  const finish = (...extra: string[]) => sel('beacon_responses_finish_reason_total', 'region+model', ...extra);
  return builder
    .withRow(row('Tokens and cost'))
    .withPanel(
      timeseriesPanel(
        'Tokens per second by type',
        'Input (prompt) and output (completion) tokens per second, as reported by the providers ' +
          '(beacon_gen_ai_client_token_usage_tokens, OpenTelemetry gen_ai.client.token.usage).',
        'suffix: tokens/s',
      )
        .span(WIDTH.third)
        .withTarget(promQuery(sumBy(['token_type'], rate(tokens())), '{{token_type}}')),
    )
    .withPanel(
      timeseriesPanel(
        'Cost per second by region and model',
        'US dollars per second spent on provider calls: their tokens at the configured price of the model in the region (beacon_cost_usd_total).',
        units.Dollars,
      )
        .span(WIDTH.third)
        .withTarget(promQuery(sumBy(['region', 'model'], rate(cost)), '{{region}} {{model}}')),
    )
    .withPanel(
      timeseriesPanel(
        'Answers cut off by max_tokens',
        "Share of committed answers whose finish reason is length: the model stopped at the spec's max_tokens, so the " +
          'answer may be truncated (and a refusal after the cut is never seen).',
        units.PercentUnit,
      )
        .span(WIDTH.third)
        .min(0)
        .withTarget(promQuery(share(rate(finish('finish_reason="length"')), rate(finish()), ['region', 'model']), '{{region}} {{model}}')),
    )
    .withPanel(
      statPanel(
        'Cost (selected range)',
        'US dollars spent on provider calls with a known cost in the selected range. Calls without a price are counted in "Calls without a known cost".',
        'usd',
      ).withTarget(promQuery(`${sumBy([], increase(cost, RANGE_WINDOW))} or vector(0)`, 'cost', { instant: true })),
    )
    .withPanel(
      statPanel(
        'Cost per job',
        'Mean cost of the jobs that ended in the selected range (beacon_job_cost_usd, observed once per job when it ends, ' +
          'only for jobs whose every answered call had a known cost). Not scoped by region or model: a job spans several.',
        'usd',
      ).withTarget(
        promQuery(
          `${sumBy([], increase(sel('beacon_job_cost_usd_sum', 'none'), RANGE_WINDOW))} / ` +
            `(${sumBy([], increase(sel('beacon_job_cost_usd_count', 'none'), RANGE_WINDOW))} > 0)`,
          'per job',
          { instant: true },
        ),
      ),
    )
    .withPanel(
      statPanel('Tokens (selected range)', 'Input and output tokens reported by the providers in the selected range.', 'count').withTarget(
        promQuery(`round(${sumBy([], increase(tokens(), RANGE_WINDOW))}) or vector(0)`, 'tokens', { instant: true }),
      ),
    )
    .withPanel(
      statPanel(
        'Calls without a known cost',
        'Answered calls in the selected range whose cost is unknown: no price for the model in the region (prices: in ' +
          'beacon.config.yaml), or the provider reported no token counts. Their cost is not in the figures above.',
        'count',
        0.5,
      ).withTarget(
        promQuery(
          `round(${sumBy([], increase(sel('beacon_unpriced_calls_total', 'region+model'), RANGE_WINDOW))}) or vector(0)`,
          'unknown',
          {
            instant: true,
          },
        ),
      ),
    );
}
