/** useradm login: Basic credentials in, a JWT out (as text, like Mender). */
import type { App } from '../app.js';
import { basicUser, signJwt } from '../auth.js';
import { fail } from '../http.js';

export function useradmRoutes(app: App): void {
  app.router.add('POST', '/api/management/v1/useradm/auth/login', 'login', (ctx) => {
    const user = basicUser(app.creds, ctx.req.headers.authorization);
    if (!user) return fail(401, 'unauthorized: wrong email or password', ctx);
    return {
      status: 200,
      text: signJwt(app.state.jwtSecret, user, Math.floor(Date.now() / 1000)),
      contentType: 'application/jwt',
    };
  });
}
