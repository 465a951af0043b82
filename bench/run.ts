// `npm run bench`: every benchmark, throughput first (bench/train.ts), then quality (bench/quality.ts).
import { benchQuality } from './quality';
import { benchTrain } from './train';

await benchTrain();
await benchQuality();
