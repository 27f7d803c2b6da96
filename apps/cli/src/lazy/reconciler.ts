// @beacon/reconciler for the commands that load it with import() when they run: a static import would load it at start-up
// for every command, `beacon --version` included (see the start-up note in program.ts).
export * from '@beacon/reconciler';
