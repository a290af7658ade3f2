// Types of icons.mjs for the TypeScript tests that use it.
export const LINUX_ICON_SIZES: number[];
export const CONVERSION_ICON_SIZE: number;
export const ICON_DIR: string;
export const ICON_SVG: string;
export function iconFileName(size: number): string;
export function parseIconSvg(text: string): { side: number; shapes: unknown[] };
export function renderIcon(svgText: string, size: number): { width: number; height: number; data: Uint8Array };
export function encodeRgbaPng(image: { width: number; height: number; data: Uint8Array }): Buffer;
