import { post } from './api.js';
import { h } from './dom.js';
import { ROLES, type JobSummary, type Role, type Whoami } from './types.js';

/** An operator action on a job: one entry per `POST /api/v1/jobs/:id/<route>` the viewer knows how to offer. */
export interface JobAction {
  /** The route's last segment; the action shows only when the daemon lists it (whoami `jobActions`). */
  route: string;
  label: string;
  /** The role the route needs; `submitter` actions are also open to the job's own submitter only. */
  role: Role;
  ownJobsFrom?: Role;
  /** Whether the action applies to the job as it is now. */
  applies: (job: JobSummary) => boolean;
  /** What the confirmation asks. */
  confirm: (job: JobSummary) => string;
}

const ACTIVE = new Set(['queued', 'running']);

/** Every job action, in the order they are shown. New daemon routes become a line here each. */
export const JOB_ACTIONS: readonly JobAction[] = [
  {
    route: 'cancel',
    label: 'Cancel job',
    role: 'operator',
    ownJobsFrom: 'submitter',
    applies: (j) => ACTIVE.has(j.status) && j.cancelRequestedAt === null,
    confirm: (j) => `Cancel job ${j.id}? Pending cells stop now; running calls stop at their runner's next heartbeat.`,
  },
  {
    route: 'retry',
    label: 'Re-run failed cells',
    role: 'operator',
    applies: (j) => !ACTIVE.has(j.status) && (j.cells.byState.failed ?? 0) > 0,
    confirm: (j) => `Re-run the ${j.cells.byState.failed ?? 0} failed cells of job ${j.id}?`,
  },
  {
    route: 'pause',
    label: 'Pause',
    role: 'operator',
    applies: (j) => ACTIVE.has(j.status) && j.pausedAt === null && j.cancelRequestedAt === null,
    confirm: (j) => `Pause job ${j.id}? No new calls start until it is resumed.`,
  },
  {
    route: 'resume',
    label: 'Resume',
    role: 'operator',
    // A paused job keeps its status (queued or running); only `pausedAt` tells.
    applies: (j) => j.pausedAt !== null,
    confirm: (j) => `Resume job ${j.id}?`,
  },
];

export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** The actions `me` may take on `job` on this daemon now. */
export function actionsFor(me: Whoami, job: JobSummary): JobAction[] {
  return JOB_ACTIONS.filter(
    (a) =>
      me.jobActions.includes(a.route) &&
      a.applies(job) &&
      (roleAtLeast(me.role, a.role) ||
        (a.ownJobsFrom !== undefined && roleAtLeast(me.role, a.ownJobsFrom) && job.submitter !== null && job.submitter === me.name)),
  );
}

/** Asks before acting, in a modal dialog (keyboard: Escape cancels, focus starts on "No"). */
function confirmDialog(question: string, yes: string): Promise<boolean> {
  return new Promise((resolve) => {
    const no = h('button', { type: 'button', class: 'secondary', 'data-confirm': 'no' }, 'No, keep it');
    const ok = h('button', { type: 'button', class: 'danger', 'data-confirm': 'yes' }, yes);
    const title = h('h2', { id: 'confirm-title' }, 'Please confirm');
    const dialog = h(
      'dialog',
      { 'aria-labelledby': 'confirm-title', class: 'confirm' },
      title,
      h('p', {}, question),
      h('div', { class: 'buttons' }, no, ok),
    );
    const done = (answer: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    no.addEventListener('click', () => done(false));
    ok.addEventListener('click', () => done(true));
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(false);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    no.focus();
  });
}

/** The action buttons of a job (none when the role may take none); `after` runs once an action succeeded. */
export function actionBar(me: Whoami, job: JobSummary, status: (text: string) => void, after: () => void): HTMLElement | null {
  const actions = actionsFor(me, job);
  if (actions.length === 0) return null;
  const bar = h('div', { class: 'actions', role: 'group', 'aria-label': 'Operator actions' });
  for (const a of actions) {
    const button = h('button', { type: 'button', class: 'danger', 'data-action': a.route }, a.label);
    button.addEventListener('click', () => {
      void (async () => {
        if (!(await confirmDialog(a.confirm(job), a.label))) return;
        button.disabled = true;
        try {
          await post(`/api/v1/jobs/${encodeURIComponent(job.id)}/${a.route}`);
          status(`${a.label}: done`);
          after();
        } catch (err) {
          status(`${a.label} failed: ${err instanceof Error ? err.message : String(err)}`);
          button.disabled = false;
        }
      })();
    });
    bar.appendChild(button);
  }
  return bar;
}
