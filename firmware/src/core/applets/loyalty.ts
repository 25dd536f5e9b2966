/**
 * The merchant loyalty card (package class 03): points and coupons changed only on a MAC from the
 * merchant server (loyalty/loyalty-applet.ts, loyalty/merchant-mac.ts).
 */
import type { Applet, AppletClass, AppletContext } from '../se/applet';
import type { ElfReader } from '../se/elf-reader';
import { APP_CLASS_LOYALTY } from '../se/package-header';
import { installLoyalty } from './loyalty/install';
import { LoyaltyApplet } from './loyalty/loyalty-applet';

export const loyaltyAppletClass: AppletClass = {
  classId: APP_CLASS_LOYALTY,
  name: 'loyalty',
  install(ctx: AppletContext, elf: ElfReader, _params: Uint8Array, _off: number, _len: number): number {
    return installLoyalty(ctx, elf);
  },
  create(ctx: AppletContext): Applet {
    return new LoyaltyApplet(ctx);
  },
};
