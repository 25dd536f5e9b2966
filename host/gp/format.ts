/**
 * Human-readable registry listing, in the shape of GlobalPlatformPro's `gp --list`:
 *
 *   ISD: A000000151000000 (SECURED)
 *        Privs:   SecurityDomain, CardLock, ...
 *
 *   APP: A000000151000102 (SELECTABLE)
 *        From:    A0000001510001
 *
 *   PKG: A0000001510001 (LOADED)
 *        Version: 1.2
 *        Applet:  A000000151000101
 */
import type { CardRegistry, RegistryItem } from './registry';

const INDENT = '     ';

function formatItem(item: RegistryItem): string[] {
  const lines = [`${item.kind}: ${item.aid} (${item.lifeCycleName})`];
  if (item.loadFile !== undefined) lines.push(`${INDENT}From:    ${item.loadFile}`);
  if (item.securityDomain !== undefined && item.kind !== 'ISD') lines.push(`${INDENT}Parent:  ${item.securityDomain}`);
  if (item.privilegeNames !== undefined && item.privilegeNames.length > 0) lines.push(`${INDENT}Privs:   ${item.privilegeNames.join(', ')}`);
  if (item.version !== undefined) lines.push(`${INDENT}Version: ${item.version}`);
  for (const m of item.modules ?? []) lines.push(`${INDENT}Applet:  ${m}`);
  return lines;
}

export function formatRegistry(registry: CardRegistry): string {
  const blocks = [...registry.isd, ...registry.apps, ...registry.loadFiles].map((item) => formatItem(item).join('\n'));
  return blocks.join('\n\n');
}
