/** The version, replaced at build time from package.json (esbuild `define`). */
declare const __CARBONCTL_VERSION__: string | undefined;

/** carbonctl's version. */
export const VERSION: string =
  typeof __CARBONCTL_VERSION__ === 'string' ? __CARBONCTL_VERSION__ : '0.0.0-dev';
