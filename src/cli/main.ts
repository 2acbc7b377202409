#!/usr/bin/env node
import { Command } from 'commander';
import { DomainConflict } from '../domain/client.js';
import { OAuthError } from '../domain/errors.js';
import { StoreUnreachableError } from '../store/connect.js';
import { adminCommands } from './admin.js';
import { auditCommands } from './audit.js';
import { projectionCommands } from './projections.js';
import { projector, serve } from './serve.js';

const program = new Command('oauth2').description('event-sourced OAuth 2.0 authorization server');
program
  .command('serve')
  .description('run the HTTP server and the projections')
  .option('--api-only', 'serve HTTP only; an `oauth2 projector` process runs the projections')
  .action(serve);
program.command('projector').description('run only the projections').action(projector);
adminCommands(program);
projectionCommands(program);
auditCommands(program);

program.parseAsync().catch((error: unknown) => {
  if (error instanceof DomainConflict || error instanceof OAuthError || error instanceof StoreUnreachableError) {
    process.stderr.write(`oauth2: ${error.message}\n`);
  } else {
    process.stderr.write(`oauth2: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
