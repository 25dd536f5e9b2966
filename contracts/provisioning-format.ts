/**
 * The provisioning bundle's format name, apart from its schema so the board firmware can check it
 * without bundling the schema library.
 */
export const BUNDLE_FORMAT = 'tapcard-provisioning/1';
