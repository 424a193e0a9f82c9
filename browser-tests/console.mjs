// The administration console in Chromium, for browser-tests/flow.mjs: the operator (the default
// tenant's Admin) signs in, opens every section it has, finds a user, bans and lets them back in,
// each page screenshotted and checked by axe through `shot`.

export async function consoleJourney(browser, { BASE, TENANT, MGMT_KEY, ADMIN_USER, ADMIN_PASSWORD, shot }, member) {
  // The journey before left the tenant passwordless; the operator signs in with a password.
  const headers = { authorization: `Bearer ${MGMT_KEY}`, 'content-type': 'application/json' };
  const tenant = await (await fetch(`${BASE}/v1/tenants/${TENANT}`, { headers })).json();
  tenant.settings.allow_passwords = true;
  const changed = await fetch(`${BASE}/v1/tenants/${TENANT}`, { method: 'POST', headers, body: JSON.stringify(tenant) });
  if (!changed.ok) throw new Error(`passwords did not come back: ${changed.status}`);
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${BASE}/admin`);
  await page.waitForURL(`${BASE}/login**`);
  await page.fill('[name=login]', ADMIN_USER);
  await page.fill('[name=password]', ADMIN_PASSWORD);
  await page.click('#sign-in');
  await page.waitForURL(`${BASE}/admin`);
  await shot(page, 'console-overview');
  await page.click('a[href="/admin/users"]');
  await page.waitForSelector('#users');
  await shot(page, 'console-users');
  await page.fill('#search', member);
  await page.click('#find-users');
  await page.waitForSelector('#users-found');
  await page.click(`#users a:has-text("${member}")`);
  await page.waitForSelector('#user-status');
  await shot(page, 'console-user');
  await page.click('#ban');
  await page.waitForSelector('#unban');
  const banned = (await page.textContent('#user-status')).trim();
  await shot(page, 'console-user-banned');
  await page.click('#unban');
  await page.waitForSelector('#ban');
  const back = (await page.textContent('#user-status')).trim();
  // Invite a user, who is mailed a link.
  await page.goto(`${BASE}/admin/users/new`);
  await shot(page, 'console-invite');
  await page.fill('#email', 'cy@example.com');
  await page.click('#send-invitation');
  await page.waitForSelector('#user-status');
  const invited = (await page.textContent('h1')).trim();

  // Create an application.
  await page.goto(`${BASE}/admin/applications`);
  await page.fill('#name', 'Console app');
  await page.fill('#redirect_urls', 'http://localhost:9/console-cb');
  await page.click('#create-application');
  await page.waitForSelector('#client-id');
  await shot(page, 'console-application');
  const application = (await page.textContent('#client-id')).trim();

  // Close sign-ups and see it act, then open them again.
  await page.goto(`${BASE}/admin/settings`);
  await page.uncheck('#reg_enabled');
  await page.click('#save-auth');
  await page.waitForLoadState();
  const closed = await fetch(`${BASE}/signup`);
  const signupsClosed = closed.status;
  await page.goto(`${BASE}/admin/settings`);
  await page.check('#reg_enabled');
  await page.click('#save-auth');
  await page.waitForLoadState();

  // Create an API key (shown once), use it, revoke it.
  await page.goto(`${BASE}/admin/api-keys`);
  await page.fill('#name', 'console key');
  await page.click('#create-key');
  await page.waitForSelector('#new-key-value');
  await shot(page, 'console-api-key-created');
  const key = (await page.inputValue('#new-key-value')).trim();
  const before = (await fetch(`${BASE}/v1/tenants`, { headers: { authorization: `Bearer ${key}` } })).status;
  await page.click('button[aria-label="Revoke console key"]');
  await page.waitForLoadState();
  const after = (await fetch(`${BASE}/v1/tenants`, { headers: { authorization: `Bearer ${key}` } })).status;

  for (const [path, name] of [
    ['/admin/activity', 'console-activity'],
    ['/admin/roles', 'console-roles'],
    ['/admin/permissions', 'console-permissions'],
    ['/admin/settings', 'console-settings'],
    ['/admin/applications', 'console-applications'],
    ['/admin/tenants', 'console-tenants'],
    ['/admin/api-keys', 'console-api-keys'],
    ['/admin/signing-keys', 'console-signing-keys'],
  ]) {
    await page.goto(`${BASE}${path}`);
    await page.waitForLoadState();
    await shot(page, name);
  }
  await context.close();
  return {
    console_ban: [banned, back],
    console_invited: invited,
    console_application: application.length > 0,
    console_signups_closed: signupsClosed,
    console_key: [before, after],
  };
}
