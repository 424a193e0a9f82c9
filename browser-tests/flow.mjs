// A person's whole journey through the hosted pages in Debian's Chromium: sign up, confirm the
// email from the outbox, sign in, turn on an authenticator app, authorize a test application
// (signing in again with the app's code on the way), create an API token on the account page,
// add a passkey there, sign in with it from the autofill, use it as the second step of a
// password sign-in, and sign in to the application with it alone; and, in a fresh browser, continue with a social network (a stand-in on another site) and
// finish with a recovery code; approve a television's sign-in (the device flow). Started by the Rust test `tests/cli/browser.rs`, which owns the
// server and checks the outcome; this script prints one JSON line with what it saw, and saves a
// screenshot of every page to SHOTS.
//
// Environment: BASE (the server's origin), OUTBOX (its mail folder), AUTHORIZE_URL (an
// authorization request of the test application), REDIRECT_URI (that application's callback,
// which nothing serves: the browser's navigation to it is caught here), SHOTS (a folder),
// TENANT and MGMT_KEY (the tenant's id and a management API key, to make it passwordless),
// ADMIN_USER and ADMIN_PASSWORD (the operator, for the console).

import { chromium } from 'playwright-core';
import { createHmac } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { consentScreen, singlePageApp } from './relying_party.mjs';
import { consoleJourney } from './console.mjs';
import { accountJourney } from './account.mjs';

const { BASE, OUTBOX, AUTHORIZE_URL, REDIRECT_URI, SHOTS, TENANT, MGMT_KEY, ADMIN_USER, ADMIN_PASSWORD } = process.env;
const EMAIL = 'ada@example.com';
const USERNAME = 'ada';
const PASSWORD = 'a long and careful passphrase';

// axe-core checks each of our pages for accessibility problems (WCAG 2.x A and AA, and best
// practices); any problem fails the run. It is evaluated through the DevTools
// protocol, which the pages' script-free CSP does not govern.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const accessibilityProblems = [];
let pagesAudited = 0;
async function audit(page, name) {
  if (!page.url().startsWith(BASE)) return;
  await page.evaluate(axeSource);
  const { violations } = await page.evaluate(() => window.axe.run(document));
  pagesAudited += 1;
  for (const v of violations) {
    const where = v.nodes.map((n) => n.target.join(' ')).join(', ');
    accessibilityProblems.push(`${name}: ${v.id} (${v.impact}): ${v.help} at ${where}`);
  }
}

mkdirSync(SHOTS, { recursive: true });
let shotNumber = 0;
async function shot(page, name) {
  shotNumber += 1;
  const path = join(SHOTS, `${String(shotNumber).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.error(`screenshot: ${path}`);
  await audit(page, name);
}

/**
 * The newest mail to `to` in the outbox, with quoted-printable soft breaks undone. Mail goes out
 * after the page answered, so it waits for one (up to 10 s).
 */
async function newestMailTo(to) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const mails = (existsSync(OUTBOX) ? readdirSync(OUTBOX) : [])
      .filter((name) => name.endsWith('.eml'))
      .sort()
      .map((name) => readFileSync(join(OUTBOX, name), 'utf8'))
      .filter((text) => text.includes(to));
    if (mails.length > 0) {
      return mails[mails.length - 1]
        .replace(/=\r?\n/g, '')
        .replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    }
    if (Date.now() > deadline) throw new Error(`no mail to ${to} in ${OUTBOX}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of text.replace(/=+$/, '').toUpperCase()) {
    const value = alphabet.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${char}`);
    bits += value.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** RFC 6238 with the authenticator-app defaults: SHA-1, 30-second steps, 6 digits. */
function totp(secret, at = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const number = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(number).padStart(6, '0');
}

async function api(method, path, bearer, body) {
  const response = await fetch(BASE + path, {
    method,
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json().catch(() => null);
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * The device flow (RFC 8628), self-contained: a device-flow application is made through the
 * management API; the "device" (this script, by fetch) asks for codes; the signed-in `page`
 * opens verification_uri_complete, and the person approves there; the device polls the token
 * endpoint, at the interval it was given, until its tokens come. True once they did.
 */
async function deviceFlow(page) {
  const created = await fetch(`${BASE}/v1/tenants/${TENANT}/applications`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MGMT_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'Application', name: 'Living-room TV', login_url: 'http://localhost:9/',
      logout_urls: [], redirect_urls: [REDIRECT_URI], metadata: { device_flow: 'true' },
    }),
  });
  if (!created.ok) throw new Error(`no device application: ${created.status} ${await created.text()}`);
  const app = await created.json();
  const basic = `Basic ${Buffer.from(`${app.id}:${app.secret}`).toString('base64')}`;
  const post = (path, fields) => fetch(BASE + path, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  const asked = await post('/oauth2/device_authorization', { scope: 'openid profile email' });
  const codes = await asked.json();
  if (!asked.ok) throw new Error(`device authorization: ${asked.status} ${JSON.stringify(codes)}`);

  await page.goto(codes.verification_uri_complete);
  await page.waitForSelector('#user_code');
  if ((await page.inputValue('#user_code')) !== codes.user_code) throw new Error('the code is not prefilled');
  await shot(page, 'device-code');
  await page.click('#continue');
  await page.waitForSelector('#approve');
  await shot(page, 'device-approve');
  await page.click('#approve');
  await page.waitForSelector('#message');
  await shot(page, 'device-approved');

  let interval = codes.interval;
  const deadline = Date.now() + codes.expires_in * 1000;
  while (Date.now() < deadline) {
    const polled = await post('/oauth2/token', {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: codes.device_code,
    });
    const body = await polled.json();
    if (polled.ok) return Boolean(body.access_token && body.refresh_token && body.id_token);
    if (body.error === 'slow_down') interval += 5;
    else if (body.error !== 'authorization_pending') throw new Error(`device token: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, interval * 1000));
  }
  throw new Error('no device tokens before the code expired');
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    // The test's applications are pages Playwright serves for origins nothing listens on, which
    // Chromium counts as public; their calls to the server on loopback would otherwise wait for
    // a local-network permission nobody can grant here.
    '--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests',
  ],
});
const result = {};
try {
  const context = await browser.newContext();
  const page = await context.newPage();

  // Sign up.
  await page.goto(`${BASE}/signup`);
  await shot(page, 'signup');
  await page.fill('[name=email]', EMAIL);
  await page.fill('[name=username]', USERNAME);
  await page.fill('[name=password]', PASSWORD);
  await page.fill('[name=password_confirmation]', PASSWORD);
  await page.click('#create-account');
  await page.waitForLoadState();
  await shot(page, 'signup-done');

  // Confirm the address with the link the mail brought.
  const mail = await newestMailTo(EMAIL);
  const link = mail.match(/https?:\/\/[^\s"<>]*\/verify-email\?token=[^\s"<>]+/)?.[0];
  if (!link) throw new Error(`no verification link in:\n${mail}`);
  await page.goto(link.replace(/^https?:\/\/[^/]+/, BASE));
  await shot(page, 'verify-email');
  await page.click('#confirm-email');
  await page.waitForLoadState();
  await shot(page, 'verified');

  // Sign in with the password alone.
  await page.goto(`${BASE}/login`);
  await shot(page, 'login');
  await page.fill('[name=login]', EMAIL);
  await page.fill('[name=password]', PASSWORD);
  await page.click('#sign-in');
  await page.waitForURL(`${BASE}/account**`);
  await shot(page, 'account');

  // Turn on an authenticator app through the account API, with the browser's own session.
  const session = (await context.cookies()).find((cookie) => cookie.name === 'portcullis_session');
  if (!session) throw new Error('no session cookie after signing in');
  const setup = await api('PUT', '/api/me/2fa', session.value, { method: 'totp' });
  const { recovery_codes: recoveryCodes } =
    await api('POST', '/api/me/2fa/verify', session.value, { code: totp(setup.secret) });

  // Sign out, then start at the application: the provider sends the browser to sign in,
  // asks for the app's code, and then sends it back to the application with a code.
  await page.click('#sign-out');
  await page.waitForLoadState();
  await shot(page, 'signed-out');
  let callback = null;
  await page.route(`${REDIRECT_URI}**`, async (route) => {
    callback = route.request().url();
    await route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Test app</title><p>Signed in.</p>' });
  });
  await page.goto(AUTHORIZE_URL);
  await page.waitForURL(`${BASE}/login**`);
  await shot(page, 'authorize-login');
  await page.fill('[name=login]', EMAIL);
  await page.fill('[name=password]', PASSWORD);
  await page.click('#sign-in');
  await page.waitForURL(`${BASE}/login/second-factor**`);
  await shot(page, 'second-factor');
  // A code of the next step: the one used to turn the app on may not be used twice.
  await page.fill('[name=code]', totp(setup.secret, Date.now() + 30_000));
  await page.click('#verify');
  await page.waitForURL(`${REDIRECT_URI}**`);
  await shot(page, 'application');
  result.callback = callback;

  // Create an API token on the account page, choosing its scopes.
  await page.goto(`${BASE}/account`);
  await shot(page, 'account-signed-in');
  await page.fill('[name=token_name]', 'backup laptop');
  await page.check('#scope-view-profile');
  await page.click('#create-token');
  await page.waitForLoadState();
  await shot(page, 'token-created');
  result.api_token = (await page.inputValue('#new-token-value')).trim();

  // Passkeys, in a browser of their own (the first one's session must live on until the
  // application redeems its code): sign in there with the password and a recovery code.
  const keyContext = await browser.newContext();
  const keyPage = await keyContext.newPage();
  // Chromium's virtual authenticator stands in for a platform authenticator (a resident key,
  // verifying its user). A passkey is added on the account page ...
  const devtools = await keyContext.newCDPSession(keyPage);
  await devtools.send('WebAuthn.enable');
  await devtools.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  // The virtual authenticator answers the login page's autofill request (conditional
  // mediation) at once; a flag in this tab's storage turns that request off, to try the button.
  await keyPage.addInitScript(() => {
    if (sessionStorage.getItem('no-autofill') && window.PublicKeyCredential) {
      PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    }
  });
  await keyPage.goto(`${BASE}/login`);
  await keyPage.fill('[name=login]', EMAIL);
  await keyPage.fill('[name=password]', PASSWORD);
  await keyPage.click('#sign-in');
  await keyPage.waitForURL(`${BASE}/login/second-factor**`);
  await keyPage.fill('[name=code]', recoveryCodes[1]);
  await keyPage.click('#verify');
  await keyPage.waitForURL(`${BASE}/account**`);
  await keyPage.waitForSelector('#add-passkey', { state: 'visible' });
  await keyPage.fill('[name=passkey_name]', 'Ada\'s laptop');
  await shot(keyPage, 'passkey-add');
  await keyPage.click('#add-passkey');
  await keyPage.waitForSelector('#passkey-added', { timeout: 15_000 });
  await shot(keyPage, 'passkey-added');

  // ... sign out: on the login page the browser offers the passkey in the login field's
  // autofill (conditional mediation), which the virtual authenticator takes, without a click.
  const autofilled = keyPage.waitForResponse(
    (response) => response.url() === `${BASE}/login/passkey` && response.request().method() === 'POST',
    { timeout: 15_000 },
  );
  await keyPage.click('#sign-out');
  await autofilled;
  await keyPage.waitForURL(`${BASE}/account`);
  await shot(keyPage, 'account-after-autofill');
  result.passkey_autofill = true;

  // Sign out again (the autofill off from now on) and sign in with the password: the second
  // step takes the passkey, as a security key, in place of the app's code.
  await keyPage.evaluate(() => sessionStorage.setItem('no-autofill', '1'));
  await keyPage.click('#sign-out');
  await keyPage.waitForLoadState();
  await keyPage.fill('[name=login]', EMAIL);
  await keyPage.fill('[name=password]', PASSWORD);
  await keyPage.click('#sign-in');
  await keyPage.waitForURL(`${BASE}/login/second-factor**`);
  await keyPage.waitForSelector('#passkey-second-factor', { state: 'visible' });
  await shot(keyPage, 'second-factor-with-passkey');
  await keyPage.click('#passkey-second-factor');
  await keyPage.waitForURL(`${BASE}/account`, { timeout: 15_000 });
  result.passkey_second_factor = true;

  // Sign out, and sign in to the application with the button: no password typed, and no
  // second step, although the account has an authenticator app.
  await keyPage.click('#sign-out');
  await keyPage.waitForLoadState();
  await keyPage.goto(AUTHORIZE_URL);
  await keyPage.waitForURL(`${BASE}/login**`);
  await keyPage.waitForSelector('#passkey-sign-in', { state: 'visible' });
  await shot(keyPage, 'login-with-passkey');
  // The application's callback is caught as the browser asks for it (with the virtual
  // authenticator attached, Chromium refuses the callback's port before the route is asked).
  const arrival = keyPage.waitForRequest((request) => request.url().startsWith(REDIRECT_URI), { timeout: 15_000 });
  await keyPage.click('#passkey-sign-in');
  result.passkey_callback = (await arrival).url();

  // Relying parties in the first browser, still signed in: a single-page app on another
  // origin calls the provider from JavaScript (CORS), and a third-party client is allowed on
  // the consent screen, then withdrawn on the account page.
  Object.assign(result, await singlePageApp(page, { BASE, TENANT, MGMT_KEY }));
  Object.assign(result, await consentScreen(page, { BASE, MGMT_KEY, shot }));

  // A fresh browser continues with the social network, whose page (on another site) sends it
  // back; the account has an authenticator app, so the second factor is asked for on return
  // (the cookies the return needs must survive the cross-site navigation).
  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  await other.goto(`${BASE}/login`);
  await shot(other, 'login-with-social');
  await other.click('#social-acme');
  await other.waitForSelector('#allow');
  await shot(other, 'social-network');
  await other.click('#allow');
  await other.waitForURL(`${BASE}/login/second-factor**`);
  await shot(other, 'social-second-factor');
  await other.fill('[name=code]', recoveryCodes[0]);
  await other.click('#verify');
  await other.waitForURL(`${BASE}/account**`);
  await shot(other, 'social-account');
  if (!(await other.content()).includes(EMAIL)) throw new Error('the account page is not Ada\'s');
  result.social_session = (await fresh.cookies()).some((c) => c.name === 'portcullis_session');
  // The password pages, for the accessibility check.
  const stranger = await (await browser.newContext()).newPage();
  await stranger.goto(`${BASE}/forgot-password`);
  await shot(stranger, 'forgot-password');
  await stranger.goto(`${BASE}/reset-password?token=unused&email=ada%40example.com`);
  await shot(stranger, 'reset-password');

  // A television signs in with the device flow, approved in the first browser.
  result.device_tokens = await deviceFlow(page);

  // Last, the tenant goes passwordless (passwords off, passkeys on): a new person signs up
  // with no password, follows the mailed link, and makes the passkey there, which confirms
  // the address and signs them in.
  const settings = await fetch(`${BASE}/v1/tenants/${TENANT}`, { headers: { authorization: `Bearer ${MGMT_KEY}` } });
  const tenant = await settings.json();
  tenant.settings.allow_passwords = false;
  const changed = await fetch(`${BASE}/v1/tenants/${TENANT}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MGMT_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(tenant),
  });
  if (!changed.ok) throw new Error(`the tenant did not go passwordless: ${changed.status}`);
  const newcomerContext = await browser.newContext();
  const newcomer = await newcomerContext.newPage();
  const newcomerDevtools = await newcomerContext.newCDPSession(newcomer);
  await newcomerDevtools.send('WebAuthn.enable');
  await newcomerDevtools.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  await newcomer.goto(`${BASE}/signup`);
  await shot(newcomer, 'signup-passwordless');
  await newcomer.fill('[name=email]', 'bo@example.com');
  await newcomer.fill('[name=username]', 'bo');
  await newcomer.click('#create-account');
  await newcomer.waitForLoadState();
  const welcome = await newestMailTo('bo@example.com');
  const confirm = welcome.match(/https?:\/\/[^\s"<>]*\/verify-email\?token=[^\s"<>]+/)?.[0];
  if (!confirm) throw new Error(`no verification link in:\n${welcome}`);
  await newcomer.goto(confirm.replace(/^https?:\/\/[^/]+/, BASE));
  await newcomer.waitForSelector('#create-passkey', { state: 'visible' });
  await newcomer.fill('[name=passkey_name]', 'Bo\'s phone');
  await shot(newcomer, 'verify-with-passkey');
  await newcomer.click('#create-passkey');
  await newcomer.waitForURL(`${BASE}/account`, { timeout: 15_000 });
  await shot(newcomer, 'passwordless-account');
  result.passwordless_signup = (await newcomer.content()).includes('bo@example.com');

  // Last, the operator's console: the passwordless newcomer is found, banned and let back in.
  Object.assign(result, await consoleJourney(browser, { BASE, TENANT, MGMT_KEY, ADMIN_USER, ADMIN_PASSWORD, shot, newestMailTo }, 'bo@example.com'));
  // And a person's own account page, section by section (passwords are back on).
  Object.assign(result, await accountJourney(browser, { BASE, shot, newestMailTo, totp },
    { email: EMAIL, password: PASSWORD, recoveryCode: recoveryCodes[2] }));

  if (accessibilityProblems.length > 0) {
    throw new Error(`accessibility problems:\n${accessibilityProblems.join('\n')}`);
  }
  result.pages_audited = pagesAudited;
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
