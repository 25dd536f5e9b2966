/** The application classes built into tapcard's SE; the host SE and the firmware bundle use this list. */
import type { AppletClass } from '../se/applet';
import { ecashAppletClass } from './ecash';
import { loyaltyAppletClass } from './loyalty';
import { plainAppletClass } from './plain';
import { transitAppletClass } from './transit';

export const BUILT_IN_APPLET_CLASSES: AppletClass[] = [plainAppletClass, transitAppletClass, ecashAppletClass, loyaltyAppletClass];

/** The name of application class `classId` ('transit', 'ecash', 'loyalty', ...), or 'unknown'. */
export function appletClassName(classId: number): string {
  for (let i = 0; i < BUILT_IN_APPLET_CLASSES.length; i++) if (BUILT_IN_APPLET_CLASSES[i].classId === classId) return BUILT_IN_APPLET_CLASSES[i].name;
  return 'unknown';
}
