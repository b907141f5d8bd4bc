// A real OpenID provider for the tests (oidc-provider, OpenID Certified), on loopback only.
// Configured by environment: OIDC_PORT, APP_ORIGINS (comma-separated origins of the web app under
// test, for its redirect URIs), OIDC_AUDIENCE, OIDC_ACCESS_TOKEN_TTL (seconds), OIDC_ACCOUNTS (JSON
// object: sub -> display name). Prints "ready <issuer>" once it listens; stops on SIGTERM.
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT ?? '0');
const issuer = `http://127.0.0.1:${port}`;
const origins = (process.env.APP_ORIGINS ?? '').split(',').filter(Boolean);
const audience = process.env.OIDC_AUDIENCE ?? 'videovisit';
const accessTokenTtl = Number(process.env.OIDC_ACCESS_TOKEN_TTL ?? '3600');
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS ?? '{}');

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'videovisit-web',
      // A public client: no secret, PKCE required (the provider's default for such clients).
      token_endpoint_auth_method: 'none',
      application_type: 'web',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: origins.flatMap((o) => [`${o}/auth/callback`, `${o}/auth/silent`]),
      post_logout_redirect_uris: origins.map((o) => `${o}/`),
    },
  ],
  async findAccount(_ctx, id) {
    if (!Object.hasOwn(accounts, id)) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, name: accounts[id] }) };
  },
  claims: { openid: ['sub'], profile: ['name'] },
  // Renewal by refresh token, without asking for offline_access.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  ttl: { AccessToken: accessTokenTtl, IdToken: accessTokenTtl, RefreshToken: 24 * 3600, Session: 24 * 3600, Grant: 24 * 3600, Interaction: 3600 },
  cookies: { keys: ['videovisit-test-provider-cookie-key'] },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // The API is the one resource: every access token is a JWT for its audience.
      defaultResource: async () => `urn:${audience}`,
      useGrantedResource: async () => true,
      getResourceServerInfo: async () => ({ scope: 'api', audience, accessTokenFormat: 'jwt', accessTokenTTL: accessTokenTtl, jwt: { sign: { alg: 'RS256' } } }),
    },
  },
  loadExistingGrant: async (ctx) => {
    // First-party client: consent is implied, so the user only signs in.
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile offline_access');
    grant.addResourceScope(`urn:${audience}`, 'api');
    await grant.save();
    return grant;
  },
});
provider.proxy = false;

const server = provider.listen(port, '127.0.0.1', () => {
  const actual = server.address().port;
  if (actual !== port) {
    console.error('OIDC_PORT must be given: the issuer URL names the port');
    process.exit(2);
  }
  console.log(`ready ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
