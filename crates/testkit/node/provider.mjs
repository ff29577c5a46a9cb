// A real OpenID Provider for Loopdesk's sign-in tests: panva's oidc-provider (certified by the
// OpenID Foundation), on 127.0.0.1:$PORT, with one confidential client and the people of
// $ACCOUNTS. Its own development sign-in form asks for a login and a password (it takes any
// password: checking it is the provider's business, not what Loopdesk's tests are about);
// consent is given for the client, a first-party one.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const accounts = JSON.parse(process.env.ACCOUNTS);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: [process.env.REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email'],
    groups: ['groups'],
  },
  async findAccount(ctx, id) {
    const person = accounts[id];
    if (!person) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, name: person.name, email: person.email, groups: person.groups };
      },
    };
  },
  async loadExistingGrant(ctx) {
    const known = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (known) return ctx.oidc.provider.Grant.find(known);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile email groups');
    await grant.save();
    return grant;
  },
  features: { devInteractions: { enabled: true } },
});

provider.listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
