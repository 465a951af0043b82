// Every `finetune` command, in the order `finetune --help` lists them.
import type { CommandModule } from '../context';
import { evaluate } from './eval';
import { forward } from './forward';
import { inspect } from './inspect';
import { predictCommand } from './predict';
import { train } from './train';

export const COMMANDS: CommandModule[] = [train, evaluate, predictCommand, forward, inspect];
