// A real OpenID Connect provider (the certified `oidc-provider` package) on loopback, for
// the studio's sign-in tests. It knows the accounts in accounts.json and one confidential
// client; a person signs in on its own login page, and st.logout() ends its session.
//
//   node provider.js --port 9400 --client-id studio --client-secret s3cret \
//        --redirect-uri http://127.0.0.1:8501/oauth2callback
//
// Prints "ready <issuer>" once it is listening.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import Provider, { interactionPolicy } from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string' },
    'client-id': { type: 'string', default: process.env.OIDC_CLIENT_ID },
    'client-secret': { type: 'string', default: process.env.OIDC_CLIENT_SECRET },
    'redirect-uri': { type: 'string', multiple: true },
  },
});
const redirectUris = args['redirect-uri'] ?? process.env.OIDC_REDIRECT_URIS?.split(' ');
if (!args.port || !args['client-id'] || !args['client-secret'] || !redirectUris?.length) {
  console.error('usage: node provider.js --port N --client-id ID --client-secret SECRET --redirect-uri URL...');
  process.exit(2);
}

const accounts = JSON.parse(readFileSync(new URL('./accounts.json', import.meta.url), 'utf8'));
const bySub = new Map(accounts.map((account) => [account.sub, account]));
const byEmail = new Map(accounts.map((account) => [account.email, account]));

// Streamlit asks for prompt=select_account by default: offer it, and answer it (like the
// first sign-in) with the login form, so a test can sign in again as another account.
const policy = interactionPolicy.base();
policy.add(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }), 0);

const issuer = `http://127.0.0.1:${args.port}`;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

const provider = new Provider(issuer, {
  clients: [{
    client_id: args['client-id'],
    client_secret: args['client-secret'],
    client_name: 'Imagine Studio',
    redirect_uris: redirectUris,
    // Streamlit sends its redirect_uri (/oauth2callback) as the place to return after logout.
    post_logout_redirect_uris: redirectUris,
  }],
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig' }] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
    groups: ['groups'], // only when the app asks for the "groups" scope
  },
  // st.user is read from the ID token alone, so the claims must be in it.
  conformIdTokenClaims: false,
  async findAccount(ctx, sub) {
    const account = bySub.get(sub);
    if (!account) return undefined;
    const { password, ...claims } = account;
    return { accountId: sub, claims: async () => claims };
  },
  // The studio is the provider's own (first-party) client: consent is granted without a page.
  async loadExistingGrant(ctx) {
    const { client, session, result } = ctx.oidc;
    const grantId = result?.consent?.grantId || session.grantIdFor(client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
  // Seconds. The ID token's `exp` reaches st.user, but Streamlit does not enforce it.
  ttl: { Interaction: 3600, Session: 86400, Grant: 86400, AccessToken: 3600, IdToken: 3600 },
  interactions: { policy, url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { logoutSource, postLogoutSuccessSource },
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Sign-in error', Object.entries(out).map(([k, v]) => `<p>${k}: ${escape(v)}</p>`).join(''));
  },
});

// The login page: GET shows the form, POST checks the e-mail and password.
provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([\w-]+)(\/abort)?$/);
  if (!match) return next();
  ctx.set('cache-control', 'no-store');
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (match[2]) {
    return provider.interactionFinished(ctx.req, ctx.res, { error: 'access_denied' });
  }
  if (ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = loginPage(details, details.params.login_hint ?? '', '');
    return undefined;
  }
  const form = new URLSearchParams(await readBody(ctx.req));
  const account = byEmail.get(form.get('email') ?? '');
  if (!account || account.password !== form.get('password')) {
    ctx.type = 'html';
    ctx.body = loginPage(details, form.get('email') ?? '', 'Wrong e-mail or password.');
    return undefined;
  }
  const result = { login: { accountId: account.sub }, select_account: {} };
  return provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
});

function loginPage({ uid }, email, error) {
  return page('Sign in', `
    <form method="post" action="/interaction/${uid}">
      ${error ? `<p role="alert">${escape(error)}</p>` : ''}
      <label>E-mail <input name="email" type="email" value="${escape(email)}" required autofocus></label>
      <label>Password <input name="password" type="password" required></label>
      <button type="submit">Sign in</button>
    </form>
    <a href="/interaction/${uid}/abort">Cancel</a>`);
}

async function logoutSource(ctx, form) {
  ctx.body = page('Sign out', `${form}
    <button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
    <button type="submit" form="op.logoutForm">No, stay signed in</button>`);
}

async function postLogoutSuccessSource(ctx) {
  ctx.body = page('Signed out', '<p>You are signed out.</p>');
}

function page(title, body) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title} · Test provider</title>
    <style>body{font-family:sans-serif;max-width:24em;margin:3em auto}label,button{display:block;margin:.6em 0}</style>
    </head><body><h1>${title}</h1>${body}</body></html>`;
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readBody(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

provider.listen(Number(args.port), '127.0.0.1', () => console.log(`ready ${issuer}`));
