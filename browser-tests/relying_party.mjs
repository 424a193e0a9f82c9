// What relying parties do in a browser, for browser-tests/flow.mjs: a single-page application on
// another origin doing the code flow and the token exchange in JavaScript (CORS), and a
// third-party application the person allows on the consent screen, then withdraws on the
// account page. The applications' pages are served by Playwright's routing on their own origin
// (nothing listens there), so the browser's CORS checks are real.

// A registered origin: the test application's redirect URIs live there.
const SPA_ORIGIN = 'http://localhost:9';
// An origin no application of the tenant redirects to.
const STRANGER_ORIGIN = 'http://localhost:10';

// The single-page app: on /spa it makes a PKCE pair and goes to the authorization endpoint; on
// /spa/callback it exchanges the code at the token endpoint and asks userinfo (with an
// Authorization header, so the browser sends a preflight first), all with fetch().
function spaPage(base, clientId) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Photo album</title></head>
<body><main><h1>Photo album</h1><p id="status">Working…</p></main>
<script type="module">
const BASE = ${JSON.stringify(base)};
const CLIENT_ID = ${JSON.stringify(clientId)};
const REDIRECT_URI = location.origin + '/spa/callback';
const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
  .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
const report = (outcome) => {
  document.body.dataset.outcome = JSON.stringify(outcome);
  document.getElementById('status').textContent = 'Done.';
};
try {
  const discovery = await (await fetch(BASE + '/.well-known/openid-configuration')).json();
  if (location.pathname === '/spa') {
    const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
    const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
    sessionStorage.setItem('verifier', verifier);
    const query = new URLSearchParams({
      response_type: 'code', client_id: CLIENT_ID, redirect_uri: REDIRECT_URI,
      scope: 'openid email', state: 'spa-state', nonce: 'spa-nonce',
      code_challenge: challenge, code_challenge_method: 'S256',
    });
    location.assign(BASE + '/oauth2/authorize?' + query);
  } else {
    const code = new URLSearchParams(location.search).get('code');
    const tokens = await (await fetch(BASE + '/oauth2/token', {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI,
        client_id: CLIENT_ID, code_verifier: sessionStorage.getItem('verifier'),
      }),
    })).json();
    const userinfo = await (await fetch(BASE + '/oauth2/userinfo', {
      headers: { authorization: 'Bearer ' + tokens.access_token },
    })).json();
    const revoked = await fetch(BASE + '/oauth2/revoke', {
      method: 'POST',
      body: new URLSearchParams({ token: tokens.refresh_token, client_id: CLIENT_ID }),
    });
    report({ issuer: discovery.issuer, id_token: Boolean(tokens.id_token), email: userinfo.email, revoked: revoked.status });
  }
} catch (error) {
  report({ error: String(error) });
}
</script></body></html>`;
}

// A page of an origin no application redirects to, trying the token endpoint.
const strangerPage = (base) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Elsewhere</title></head>
<body><main><h1>Elsewhere</h1></main><script type="module">
try {
  await fetch(${JSON.stringify(base)} + '/oauth2/token', { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }) });
  document.body.dataset.outcome = 'read';
} catch (error) {
  document.body.dataset.outcome = 'blocked';
}
</script></body></html>`;

async function call(base, method, path, bearer, body) {
  const response = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await response.json().catch(() => null);
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

async function outcome(page) {
  await page.waitForFunction(() => document.body && document.body.dataset.outcome, null, { timeout: 15_000 });
  return page.evaluate(() => document.body.dataset.outcome);
}

// The single-page app's whole flow in `page` (signed in already), and a stranger's attempt.
export async function singlePageApp(page, { BASE, TENANT, MGMT_KEY }) {
  const app = await call(BASE, 'POST', `/v1/tenants/${TENANT}/applications`, MGMT_KEY, {
    type: 'Application', name: 'Photo album', login_url: '', logout_urls: [],
    redirect_urls: [`${SPA_ORIGIN}/spa/callback`],
    metadata: { token_endpoint_auth_method: 'none' },
  });
  const html = spaPage(BASE, app.id);
  await page.route(`${SPA_ORIGIN}/spa**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: html }));
  await page.route(`${STRANGER_ORIGIN}/**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: strangerPage(BASE) }));
  const problems = [];
  page.on('console', (message) => problems.push(message.text()));
  page.on('pageerror', (error) => problems.push(String(error)));
  await page.goto(`${SPA_ORIGIN}/spa`);
  await page.waitForFunction(
    () => location.pathname === '/spa/callback' || (document.body && document.body.dataset.outcome),
    null,
    { timeout: 15_000 },
  ).catch(() => {
    throw new Error(`the single-page app is stuck at ${page.url()}: ${problems.join('; ')}`);
  });
  const seen = JSON.parse(await outcome(page));
  if (seen.error || !seen.id_token || !seen.email || seen.revoked !== 200) {
    throw new Error(`the single-page app's flow failed: ${JSON.stringify(seen)} ${problems.join('; ')}`);
  }
  await page.goto(`${STRANGER_ORIGIN}/`);
  const stranger = await outcome(page);
  if (stranger !== 'blocked') throw new Error('a stranger origin read the token endpoint');
  return { spa: seen, stranger };
}

// A third-party client registers itself; the person allows it on the consent screen, then
// withdraws its access on the account page.
export async function consentScreen(page, { BASE, MGMT_KEY, shot }) {
  const printed = `${SPA_ORIGIN}/printed`;
  const client = await call(BASE, 'POST', '/oauth2/register', MGMT_KEY, {
    client_name: 'Photo printer', redirect_uris: [printed],
  });
  const query = new URLSearchParams({
    response_type: 'code', client_id: client.client_id, redirect_uri: printed,
    scope: 'openid email profile', state: 'printer-state',
  });
  let callback = null;
  await page.route(`${printed}**`, async (route) => {
    callback = route.request().url();
    await route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Printer</title><p>Thanks.</p>' });
  });
  await page.goto(`${BASE}/oauth2/authorize?${query}`);
  await page.waitForSelector('#consent');
  await shot(page, 'consent');
  await page.click('#allow');
  await page.waitForURL(`${printed}**`);
  if (!new URL(callback).searchParams.get('code')) throw new Error(`no code: ${callback}`);
  await page.goto(`${BASE}/account`);
  await page.waitForSelector('#applications');
  await shot(page, 'account-applications');
  await page.click('button[name=withdraw_application]');
  await page.waitForURL(`${BASE}/account`);
  const left = await page.locator('#applications').count();
  if (left !== 0) throw new Error('the application kept its access');
  return { consent_callback: callback };
}
