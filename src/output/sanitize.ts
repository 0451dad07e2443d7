/**
 * Text from outside (Prometheus label values, API strings) may carry terminal control
 * sequences; strip them before printing (SPEC §1.1).
 */

// C0 controls except \n and \t, DEL, and C1 controls.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** Remove control characters; with `keepAnsi`, SGR colour sequences we produced survive. */
export function stripControlCharacters(text: string, options?: { keepAnsi?: boolean }): string {
  if (options?.keepAnsi) {
    const parts = text.split(ANSI);
    const codes = text.match(ANSI) ?? [];
    return parts.map((part, index) => part.replace(CONTROL, '') + (codes[index] ?? '')).join('');
  }
  return text.replace(ANSI, '').replace(CONTROL, '');
}

/** Clean one outside value (a label, an API string) for display: no controls, no newlines. */
export function cleanExternal(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').replace(CONTROL, '');
}
