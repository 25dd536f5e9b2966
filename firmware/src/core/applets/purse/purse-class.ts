/**
 * Makes the application class (se/applet.ts AppletClass) of a purse profile: the transit card
 * (transit.ts) and the bank e-cash card (ecash.ts) are the same engine with different profiles.
 */
import type { Applet, AppletClass, AppletContext } from '../../se/applet';
import type { ElfReader } from '../../se/elf-reader';
import { installPurse } from './install';
import type { PurseProfile } from './purse-card';
import { PurseApplet } from './purse-applet';

export function makePurseClass(profile: PurseProfile): AppletClass {
  return {
    classId: profile.classId,
    name: profile.name,
    install(ctx: AppletContext, elf: ElfReader, _params: Uint8Array, _off: number, _len: number): number {
      return installPurse(ctx, elf, profile);
    },
    create(ctx: AppletContext): Applet {
      return new PurseApplet(ctx, profile);
    },
  };
}
