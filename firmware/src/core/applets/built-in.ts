/** The application classes built into tapcard's SE; the host SE and the firmware bundle use this list. */
import type { AppletClass } from '../se/applet';
import { ecashAppletClass } from './ecash';
import { loyaltyAppletClass } from './loyalty';
import { plainAppletClass } from './plain';
import { transitAppletClass } from './transit';

export const BUILT_IN_APPLET_CLASSES: AppletClass[] = [plainAppletClass, transitAppletClass, ecashAppletClass, loyaltyAppletClass];
