// xterm.js as a module of its own (dist/renderer/xterm-module.js), imported by the serial console
// only when the VM has one: bundled into main.js it was 62 % of the page's script, parsed and run
// before the page could open its bridge (bench/README.md, first frame).
export { Terminal } from '@xterm/xterm';
