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
  return { console_ban: [banned, back] };
}
