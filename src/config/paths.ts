/** Where carbonctl keeps its files by default: the user config and data dirs (as `conf` does). */
import envPaths from 'env-paths';

/** Default config file and ledger paths for this user (`conf`'s convention: `carbonctl-nodejs`). */
export function defaultPaths(): { configFile: string; ledgerFile: string } {
  const paths = envPaths('carbonctl', { suffix: 'nodejs' });
  return { configFile: `${paths.config}/config.json`, ledgerFile: `${paths.data}/ledger.db` };
}
