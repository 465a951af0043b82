// The bundled USE-Lite, loaded the way the CLI loads it.
export { loadBundledUseLite } from '../cli/models';
