// The error a session operation throws while the engine piece it needs has not landed in this build.
import { UserError } from '../errors';

export function notReady(what: string): never {
  throw new UserError(`${what} is not available in this build yet.`, {}, 'Update the studio to a build that includes it.');
}
