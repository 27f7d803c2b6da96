/** Methods that change nothing: not audited, `viewer` by default, and their refusals need no body read. */
export const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
