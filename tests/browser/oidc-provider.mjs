// A real OpenID provider for the browser test: npm's `oidc-provider` (OpenID Certified), with
// its development sign-in pages, which take any login. Each login signs in as a registrar of
// the demo CNAP (`institution` and `role` in the `staff` scope); `nobody-*` logins get no role;
// `person-<RNOKPP>` logins are citizens whose RNOKPP (`drfocode`, as id.gov.ua names it) follows.
//
// ISSUER_PORT: the port to listen on (the issuer is http://127.0.0.1:PORT);
// ONESTOP_URL: where onestop answers (its callback is ONESTOP_URL/sign-in/oidc/callback).
import Provider from 'oidc-provider';

const port = Number(process.env.ISSUER_PORT);
const onestop = process.env.ONESTOP_URL;
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'onestop',
    client_secret: 'onestop-test-secret',
    redirect_uris: [`${onestop}/sign-in/oidc/callback`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  claims: { openid: ['sub'], profile: ['preferred_username', 'drfocode'], staff: ['institution', 'role'] },
  scopes: ['openid', 'profile', 'staff'],
  pkce: { required: () => true },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        if (id.startsWith('person-')) {
          return { sub: id, preferred_username: id, drfocode: id.slice('person-'.length) };
        }
        const staff = id.startsWith('nobody-') ? {} : { institution: 'demo-cnap', role: 'registrar' };
        return { sub: id, preferred_username: id, ...staff };
      },
    };
  },
});
provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider listening on ${issuer}`));
