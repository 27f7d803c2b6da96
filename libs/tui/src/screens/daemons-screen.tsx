import { useMemo } from 'react';
import { Box } from 'ink';
import type { DaemonView, KeyControlView } from '@beacon/domain';
import { useResource } from '../hooks/use-resource.js';
import { useListCursor } from '../hooks/use-list-cursor.js';
import { useScreenKeys } from '../hooks/use-screen-keys.js';
import { DAEMONS_KEYS } from '../keys/key-tables.js';
import { fit } from '../layout/time-format.js';
import type { ScreenProps } from '../views/screen-props.js';
import { Note, Row } from '../views/segments.js';

/** One row of the screen: a daemon with its claims, or a (region, model) with its pause and concurrency. */
export type DaemonsRow =
  | { readonly kind: 'daemon'; readonly daemon: DaemonView }
  | { readonly kind: 'key'; readonly region: string; readonly model: string; readonly control: KeyControlView | null };

/**
 * Daemons (running first, then stopped, as the API lists them), then every (region, model) that some daemon holds cells
 * of or that has a control, sorted: those are the ones an operator can pause or give a concurrency.
 */
export function daemonsRows(daemons: readonly DaemonView[], controls: readonly KeyControlView[]): DaemonsRow[] {
  const keys = new Map<string, { region: string; model: string; control: KeyControlView | null }>();
  for (const d of daemons)
    for (const c of d.claims) keys.set(`${c.region}\u0000${c.model}`, { region: c.region, model: c.model, control: null });
  for (const k of controls) keys.set(`${k.region}\u0000${k.model}`, { region: k.region, model: k.model, control: k });
  const sorted = [...keys.values()].sort((a, b) => a.region.localeCompare(b.region) || a.model.localeCompare(b.model));
  return [...daemons.map((daemon) => ({ kind: 'daemon' as const, daemon })), ...sorted.map((k) => ({ kind: 'key' as const, ...k }))];
}

/** One row's text. */
export function daemonsLine(r: DaemonsRow, width: number): string {
  if (r.kind === 'daemon') {
    const d = r.daemon;
    const state = d.stoppedAt ? 'stopped' : d.draining ? 'DRAINING' : 'claiming';
    const claims = d.claims.map((c) => `${c.region}/${c.model} ${c.calling}/${c.held}`).join(', ') || 'no claims';
    return fit(`daemon ${d.id}  ${state.padEnd(8)}  heartbeat ${d.silentForS} s ago  calling/held: ${claims}`, width);
  }
  const c = r.control;
  const paused = c?.paused ? `PAUSED by ${c.pausedBy ?? '?'}` : 'running';
  const conc = c?.concurrency === null || c === null ? "region's" : String(c.concurrency);
  return fit(`key    ${`${r.region}/${r.model}`.padEnd(32)}  ${paused.padEnd(20)}  concurrency ${conc}`, width);
}

/** Daemons with the cells each holds, and the regions and models: drain, pause, concurrency. */
export function DaemonsScreen({ api, state, dispatch, width, height }: ScreenProps) {
  const daemons = useResource('daemons', () => api.daemons(), 2_000);
  const controls = useResource('controls/keys', () => api.keyControls(), 2_000);
  const rows = useMemo(() => daemonsRows(daemons.data?.items ?? [], controls.data?.items ?? []), [daemons.data, controls.data]);
  const listHeight = height - 2;
  const { cursor, move } = useListCursor(state, dispatch, 'daemons', rows.length, listHeight);
  useScreenKeys('daemons', DAEMONS_KEYS, (c) => {
    const r = rows[cursor.index];
    switch (c) {
      case 'refresh':
        daemons.reload();
        controls.reload();
        return;
      case 'drain':
        if (r?.kind !== 'daemon') return dispatch({ type: 'status', text: 'd drains a daemon: select a daemon row' });
        return dispatch({ type: 'controls/ask', control: { kind: 'drain', daemonId: r.daemon.id, draining: !r.daemon.draining } });
      case 'pauseKey':
      case 'resumeKey':
        if (r?.kind !== 'key') return dispatch({ type: 'status', text: 'p and P pause and resume a region and model: select a key row' });
        return dispatch({
          type: 'controls/ask',
          control: { kind: 'pauseKey', region: r.region, model: r.model, paused: c === 'pauseKey' },
        });
      case 'concurrency':
        if (r?.kind !== 'key') return dispatch({ type: 'status', text: 'c sets the concurrency of a region and model: select a key row' });
        return dispatch({ type: 'controls/ask-number', region: r.region, model: r.model });
      default:
        move(c);
    }
  });

  const error = daemons.error ?? controls.error;
  const visible = rows.slice(cursor.top, cursor.top + listHeight);
  return (
    <Box flexDirection="column" height={height}>
      <Note>{fit('  daemons (calling/held per region/model), then regions × models (pause, concurrency)', width)}</Note>
      {error && !daemons.data ? (
        <Note tone="bad">{fit(error, width)}</Note>
      ) : rows.length === 0 ? (
        <Note>{daemons.loading ? 'loading daemons…' : 'no daemon has registered'}</Note>
      ) : (
        visible.map((r, i) => (
          <Row key={r.kind === 'daemon' ? `d:${r.daemon.id}` : `k:${r.region}/${r.model}`} selected={cursor.top + i === cursor.index}>
            {daemonsLine(r, width - 2)}
          </Row>
        ))
      )}
      <Box flexGrow={1} />
      <Note tone={error ? 'warn' : undefined}>
        {fit(
          `${daemons.data?.items.length ?? 0} daemon(s), ${rows.filter((r) => r.kind === 'key').length} region/model(s)${error ? ` · ${error}` : ''}`,
          width,
        )}
      </Note>
    </Box>
  );
}
