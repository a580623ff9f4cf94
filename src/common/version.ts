import { readFileSync } from 'node:fs';

/** The Flink release whose REST API, CLI and configuration tsflink follows. */
export const FLINK_COMPATIBILITY_VERSION = '1.20.0';

const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** tsflink's own version, from package.json. */
export const TSFLINK_VERSION: string = packageJson.version;

/** What Flink calls the revision / commit id: tsflink reports its own name and version there. */
export const TSFLINK_REVISION = `tsflink-${TSFLINK_VERSION}`;
