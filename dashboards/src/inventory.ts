import { VariableType } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dashboard } from './house-style.js';

/** One Prometheus query of a dashboard panel, as Grafana would send it (before variable interpolation). */
export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
  /** True for stat / bar-gauge targets (one instant query); false for time series (range query). */
  instant: boolean;
}

/** One query variable of a dashboard (`label_values(selector, label)`). */
export interface VariableQuery {
  dashboard: string;
  name: string;
  query: string;
}

interface PanelJson {
  title?: string;
  targets?: { expr?: string; refId?: string; instant?: boolean }[];
  panels?: PanelJson[];
}

/** Every Prometheus target of every panel (rows included), in panel order. */
export function panelQueries(d: Dashboard): PanelQuery[] {
  const out: PanelQuery[] = [];
  // Panels are read as their JSON shape: the SDK types a target as a method-only Dataquery variant that has no expr.
  const visit = (panels: readonly object[] | undefined) => {
    for (const p of (panels ?? []) as PanelJson[]) {
      for (const t of p.targets ?? []) {
        if (t.expr !== undefined)
          out.push({
            dashboard: d.uid ?? d.title ?? '',
            panel: p.title ?? '',
            refId: t.refId ?? '',
            expr: t.expr,
            instant: t.instant === true,
          });
      }
      visit(p.panels);
    }
  };
  visit(d.panels);
  return out;
}

/** Every query variable of a dashboard. */
export function variableQueries(d: Dashboard): VariableQuery[] {
  return (d.templating?.list ?? [])
    .filter((v) => v.type === VariableType.Query && typeof v.query === 'string')
    .map((v) => ({ dashboard: d.uid ?? d.title ?? '', name: v.name, query: v.query as string }));
}
