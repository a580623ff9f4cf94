// npm does not put a package's own "bin" entries on its node_modules/.bin, so `npx flink` inside this repository
// would look for a registry package named "flink". This links bin/flink there after every install.
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const binDir = join(root, 'node_modules', '.bin');
mkdirSync(binDir, { recursive: true });
const link = join(binDir, 'flink');
rmSync(link, { force: true });
symlinkSync(join('..', '..', 'bin', 'flink'), link);
