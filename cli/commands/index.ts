// Every `finetune` command, in the order `finetune --help` lists them.
import type { CommandModule } from '../context';
import { inspect } from './inspect';

export const COMMANDS: CommandModule[] = [inspect];
