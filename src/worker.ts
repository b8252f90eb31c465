// Job process: config → database → container → jobs.
import { loadConfig } from './config.js';
import { startOrExit } from './server.js';

startOrExit(loadConfig, { web: false, worker: true });
