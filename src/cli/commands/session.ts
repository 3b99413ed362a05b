import { Command } from 'commander';

export function registerSessionCommands(_program: Command): void {}
