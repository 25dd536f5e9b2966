/** Bundle entry point (tools/firmware/build.ts): the firmware starts when .bootcde runs. */
import { main } from './main';

main();
