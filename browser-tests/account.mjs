// The account page in Chromium, for browser-tests/flow.mjs: a newcomer signs up and, as a
// person would, edits their profile and picture, changes the password and signs in with the new
// one, changes the email and confirms it from the outbox, turns on an authenticator app by
// reading the key shown under its QR code, signs out and back in with a code, downloads the
// recovery codes. Each page and state is screenshotted and checked by axe through `shot`.

import { readFileSync } from 'node:fs';

// A 4×4 PNG: the image pipeline crops and scales it to the 160-pixel square it stores.
const PICTURE = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAJ0lEQVR4nBWJwREAMBBEFLaFKUyByXkxAIdiCHPT2X6cHP1NrtPyAZrjEsFdgmbDAAAAAElFTkSuQmCC',
  'base64',
);

async function signIn(page, BASE, login, password) {
  await page.goto(`${BASE}/login`);
  await page.fill('[name=login]', login);
  await page.fill('[name=password]', password);
  await page.click('#sign-in');
}

export async function accountJourney(browser, { BASE, shot, newestMailTo, totp }, ada) {
  const EMAIL = 'eve@example.com';
  const NEW_EMAIL = 'eve.new@example.com';
  const PASSWORD = 'eve keeps a long passphrase';
  const NEW_PASSWORD = 'eve chose another long passphrase';
  const result = {};
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();

  // A newcomer, confirmed from the outbox and signed in.
  await page.goto(`${BASE}/signup`);
  await page.fill('[name=email]', EMAIL);
  await page.fill('[name=username]', 'eve');
  await page.fill('[name=password]', PASSWORD);
  await page.fill('[name=password_confirmation]', PASSWORD);
  await page.click('#create-account');
  await page.waitForLoadState();
  const welcome = await newestMailTo(EMAIL);
  const verify = welcome.match(/https?:\/\/[^\s"<>]*\/verify-email\?token=[^\s"<>]+/)[0];
  await page.goto(verify.replace(/^https?:\/\/[^/]+/, BASE));
  await page.click('#confirm-email');
  await page.waitForLoadState();
  await signIn(page, BASE, EMAIL, PASSWORD);
  await page.waitForURL(`${BASE}/account**`);

  // Profile and picture.
  await page.goto(`${BASE}/account/profile`);
  await shot(page, 'account-profile');
  await page.fill('#first_name', 'Eve');
  await page.fill('#last_name', 'Example');
  await page.fill('#birthday', '1990-04-01');
  await page.selectOption('#country_id', { label: 'France' });
  await page.click('#save-profile');
  await page.waitForSelector('#profile-saved');
  await page.setInputFiles('#file', { name: 'eve.png', mimeType: 'image/png', buffer: PICTURE });
  await page.click('#upload-avatar');
  await page.waitForSelector('#avatar');
  await shot(page, 'account-profile-saved');
  const picture = await page.evaluate(() => {
    const img = document.querySelector('#avatar');
    return img.complete ? img.naturalWidth : 0;
  });
  result.account_profile = [await page.inputValue('#first_name'), picture];

  // A new password; signed in with it afterwards.
  await page.goto(`${BASE}/account/sign-in`);
  await shot(page, 'account-sign-in');
  await page.fill('#current_password', PASSWORD);
  await page.fill('#password', NEW_PASSWORD);
  await page.fill('#password_confirmation', NEW_PASSWORD);
  await page.click('#change-password');
  await page.waitForSelector('#sign-in-saved');
  await shot(page, 'account-password-changed');
  await page.goto(`${BASE}/account`);
  await page.click('#sign-out');
  await page.waitForLoadState();
  await signIn(page, BASE, EMAIL, PASSWORD);
  await page.waitForLoadState();
  const oldRefused = !page.url().startsWith(`${BASE}/account`);
  await signIn(page, BASE, EMAIL, NEW_PASSWORD);
  await page.waitForURL(`${BASE}/account**`);
  result.account_password = [oldRefused, true];

  // A new address, confirmed from the mail it receives.
  await page.goto(`${BASE}/account/sign-in`);
  await page.fill('#email', NEW_EMAIL);
  await page.fill('#email_current_password', NEW_PASSWORD);
  await page.click('#change-email');
  await page.waitForSelector('#sign-in-saved');
  await shot(page, 'account-email-pending');
  const confirmation = await newestMailTo(`To: ${NEW_EMAIL}`);
  const confirm = confirmation.match(/https?:\/\/[^\s"<>]*\/verify-email\?token=[^\s"<>]+/)[0];
  await page.goto(confirm.replace(/^https?:\/\/[^/]+/, BASE));
  await page.click('#confirm-email');
  await page.waitForLoadState();
  await page.goto(`${BASE}/account/sign-in`);
  result.account_email = (await page.textContent('#current-email')).trim();

  // An authenticator app, from the key under the QR code; then out and back in with a code.
  await page.goto(`${BASE}/account/second-factor`);
  await shot(page, 'account-second-factor');
  await page.click('#set-up-app');
  await page.waitForSelector('#totp-qr');
  await shot(page, 'account-second-factor-setup');
  const secret = (await page.textContent('#totp-secret')).trim();
  await page.fill('#code', totp(secret));
  await page.click('#confirm-totp');
  await page.waitForSelector('#recovery-codes');
  await shot(page, 'account-recovery-codes');
  const codes = (await page.locator('#recovery-codes code').allTextContents()).map((c) => c.trim());
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('#download-codes'),
  ]);
  const saved = readFileSync(await download.path(), 'utf8');
  result.account_codes_downloaded = codes.length > 0 && codes.every((c) => saved.includes(c));
  await page.goto(`${BASE}/account`);
  await page.click('#sign-out');
  await page.waitForLoadState();
  await signIn(page, BASE, NEW_EMAIL, NEW_PASSWORD);
  await page.waitForURL(`${BASE}/login/second-factor**`);
  // The next step's code: the one that turned the app on is spent.
  await page.fill('[name=code]', totp(secret, Date.now() + 30_000));
  await page.click('#verify');
  await page.waitForURL(`${BASE}/account**`);
  result.account_second_factor = true;

  // Their own activity, and everything held about them as JSON, with no secret in it.
  await page.goto(`${BASE}/account/activity`);
  await page.waitForSelector('#activity');
  await shot(page, 'account-activity');
  await page.goto(`${BASE}/account/data`);
  await shot(page, 'account-data');
  const [exported] = await Promise.all([
    page.waitForEvent('download'),
    page.click('#export-data'),
  ]);
  const data = readFileSync(await exported.path(), 'utf8');
  JSON.parse(data);
  result.account_export = [
    data.includes(NEW_EMAIL),
    [secret, NEW_PASSWORD, PASSWORD, ...codes].some((hidden) => data.includes(hidden)),
  ];

  // Deleting this throwaway account: typed address and password; then it signs in nowhere.
  await page.fill('#confirm_email', NEW_EMAIL);
  await page.fill('#current_password', NEW_PASSWORD);
  await page.click('#delete-account');
  await page.waitForLoadState();
  await shot(page, 'account-deleted');
  const goodbye = (await page.textContent('h1')).trim();
  await signIn(page, BASE, NEW_EMAIL, NEW_PASSWORD);
  await page.waitForLoadState();
  result.account_deleted = [goodbye, page.url().startsWith(`${BASE}/login`)];
  await context.close();

  // Ada unlinks the stand-in social network she signed in with earlier (she keeps her
  // password and passkeys, so it is not her only way in).
  const adaContext = await browser.newContext();
  const adaPage = await adaContext.newPage();
  await signIn(adaPage, BASE, ada.email, ada.password);
  await adaPage.waitForURL(`${BASE}/login/second-factor**`);
  // A recovery code: the app's codes of these few seconds may all be spent already.
  await adaPage.fill('[name=code]', ada.recoveryCode);
  await Promise.all([adaPage.waitForEvent('framenavigated'), adaPage.click('#verify')]);
  await adaPage.waitForLoadState();
  if (!adaPage.url().startsWith(`${BASE}/account`)) {
    throw new Error(`Ada's sign-in stopped at ${adaPage.url()}: ${(await adaPage.textContent('main')).trim()}`);
  }
  await adaPage.goto(`${BASE}/account/linked`);
  await shot(adaPage, 'account-linked');
  const linked = await adaPage.locator('#links .network-name').allTextContents();
  await adaPage.click('button[name=unlink]');
  await adaPage.waitForSelector('#unlinked');
  await shot(adaPage, 'account-unlinked');
  const left = await adaPage.locator('#no-links').count();
  result.account_unlinked = [linked.map((t) => t.trim()), left];
  await adaContext.close();
  return result;
}
