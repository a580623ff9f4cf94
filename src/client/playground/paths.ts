import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The tsflink checkout the playground runs from (this file is dist/client/playground/paths.js). */
export const TSFLINK_HOME = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN_DIR = join(TSFLINK_HOME, 'bin');
export const BASE_CONFIG = join(TSFLINK_HOME, 'conf', 'config.yaml');
export const CLICK_EVENT_COUNT = join(TSFLINK_HOME, 'examples', 'streaming', 'ClickEventCount.ts');
export const GENERATOR_ENTRY = join(TSFLINK_HOME, 'dist', 'client', 'clickevent-generator.js');
export const VERIFIER_ENTRY = join(TSFLINK_HOME, 'dist', 'client', 'output-verifier.js');
