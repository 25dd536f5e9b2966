/** The application classes built into tapcard's SE; the host SE and the firmware bundle use this list. */
import type { AppletClass } from '../se/applet';
import { plainAppletClass } from './plain';

export const BUILT_IN_APPLET_CLASSES: AppletClass[] = [plainAppletClass];
