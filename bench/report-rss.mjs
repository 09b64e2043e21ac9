// Loaded with `node --import` into each snapctl run the benchmark times: writes the process's peak RSS
// (bytes) to $SNAPCTL_BENCH_RSS_FILE at exit, so memory is measured without changing snapctl itself.
import { writeFileSync } from 'node:fs';

const file = process.env.SNAPCTL_BENCH_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)));
