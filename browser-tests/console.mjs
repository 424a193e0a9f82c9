// The administration console in Chromium, for browser-tests/flow.mjs: the operator (the default
// tenant's Admin) signs in, opens every section it has, finds a user, bans and lets them back in;
// then creates a tenant and manages it from the same console (an application, users, a role
// holding only users.manage, a setting that acts), and that role's holder signs in on the
// tenant's own host and sees only the Users section. Each page and state is screenshotted and
// checked by axe through `shot`.

/** The rows of the permissions matrix: the checkbox of `permission` in `role`'s row, and its
 * save button (read through the DevTools protocol: the pages run no script). */
async function matrixCell(page, role, permission) {
  return page.evaluate(([role, permission]) => {
    const column = [...document.querySelectorAll('#matrix thead th')]
      .findIndex((th) => th.title === permission);
    const row = [...document.querySelectorAll('#matrix tbody tr')]
      .find((tr) => tr.querySelector('th').textContent.trim() === role);
    const cells = row.querySelectorAll('td');
    return {
      box: cells[column - 1].querySelector('input').id,
      save: row.querySelector('button').id,
    };
  }, [role, permission]);
}

/** Another tenant, made and managed from the operator's console (`page`, signed in). */
async function managedTenantJourney(browser, page, { BASE, shot, newestMailTo }) {
  const port = new URL(BASE).port;
  // Chromium sends every *.localhost name to loopback: the tenant's own host.
  const CO = `http://co.localhost:${port}`;
  await page.goto(`${BASE}/admin/tenants`);
  await page.fill('#name', 'co');
  await page.fill('#domain', 'co.localhost');
  await page.click('#create-tenant');
  await page.waitForSelector('#tenant-id');
  await shot(page, 'console-tenant');
  await page.click('#manage-tenant');
  await page.waitForSelector('#managing');
  await shot(page, 'console-managing-overview');
  const managing = (await page.textContent('#managing strong')).trim();

  // Its application.
  await page.goto(`${BASE}/admin/applications`);
  await page.fill('#name', 'Co app');
  await page.fill('#redirect_urls', 'http://localhost:9/co-cb');
  await page.click('#create-application');
  await page.waitForSelector('#client-id');
  await shot(page, 'console-managed-application');
  const application = (await page.textContent('#client-id')).trim();

  // A user there, banned and let back in.
  await page.goto(`${BASE}/admin/users/new`);
  await page.fill('#email', 'dee@example.com');
  await page.click('#send-invitation');
  await page.waitForSelector('#user-status');
  await page.click('#ban');
  await page.waitForSelector('#unban');
  const banned = (await page.textContent('#user-status')).trim();
  await shot(page, 'console-managed-user-banned');
  await page.click('#unban');
  await page.waitForSelector('#ban');
  const back = (await page.textContent('#user-status')).trim();
  // Its address marked unconfirmed and confirmed again.
  if (await page.locator('#unverify').count()) {
    await page.click('#unverify');
    await page.waitForSelector('#verify');
  }
  await page.click('#verify');
  await page.waitForSelector('#unverify');
  await shot(page, 'console-managed-user');

  // A role holding only users.manage, and someone invited to it.
  await page.goto(`${BASE}/admin/roles`);
  await page.fill('#new-role [name=name]', 'clerks');
  await page.click('#create-role');
  await page.waitForSelector('#roles');
  await shot(page, 'console-managed-roles');
  await page.goto(`${BASE}/admin/permissions`);
  const cell = await matrixCell(page, 'clerks', 'users.manage');
  await page.check(`#${cell.box}`);
  await page.click(`#${cell.save}`);
  await page.waitForSelector('#matrix');
  await shot(page, 'console-managed-permissions');
  await page.goto(`${BASE}/admin/users/new`);
  await page.fill('#email', 'clerk@example.com');
  await page.selectOption('#role_id', { label: 'clerks' });
  await page.click('#send-invitation');
  await page.waitForSelector('#user-status');

  // Sign-ups closed there; the tenant's own host refuses one.
  const before = await page.context().newPage();
  const openSignup = (await before.goto(`${CO}/signup`)).status();
  await before.close();
  await page.goto(`${BASE}/admin/settings`);
  await shot(page, 'console-managed-settings');
  await page.uncheck('#reg_enabled');
  await page.click('#save-auth');
  await page.waitForSelector('#settings-saved');
  const visitor = await browser.newContext();
  const signupPage = await visitor.newPage();
  const closedSignup = (await signupPage.goto(`${CO}/signup`)).status();
  await visitor.close();

  await page.click('#stop-managing');
  await page.waitForURL(`${BASE}/admin/tenants`);
  const returned = await page.locator('#managing').count();

  // The clerk chooses a password from the invitation (its link names the tenant's public
  // origin; here that host is reached on the test's port), signs in on the tenant's host, and
  // sees the Users section only.
  const mail = await newestMailTo('clerk@example.com');
  const link = new URL(mail.match(/https?:\/\/[^\s"<>]*reset-password[^\s"<>]*/)[0].replace(/&amp;/g, '&'));
  const clerkContext = await browser.newContext();
  const clerk = await clerkContext.newPage();
  await clerk.goto(`${CO}${link.pathname}${link.search}`);
  await clerk.fill('#password', 'the clerk keeps a long passphrase');
  await clerk.fill('#password_confirmation', 'the clerk keeps a long passphrase');
  await clerk.click('#change-password');
  await clerk.waitForLoadState();
  await clerk.goto(`${CO}/admin`);
  await clerk.waitForURL(`${CO}/login**`);
  await clerk.fill('[name=login]', 'clerk@example.com');
  await clerk.fill('[name=password]', 'the clerk keeps a long passphrase');
  await clerk.click('#sign-in');
  await clerk.waitForURL(`${CO}/admin`);
  await shot(clerk, 'console-clerk-overview');
  const clerkSections = (await clerk.locator('.console-nav a').allTextContents()).map((t) => t.trim());
  await clerk.click('a[href="/admin/users"]');
  await clerk.waitForSelector('#users');
  await shot(clerk, 'console-clerk-users');
  const clerkSees = await clerk.locator('#users').textContent();
  const refused = (await clerk.goto(`${CO}/admin/settings`)).status();
  await shot(clerk, 'console-clerk-refused');
  await clerkContext.close();

  return {
    console_managing: managing,
    console_managed_application: application.length > 0,
    console_managed_ban: [banned, back],
    console_managed_signup: [openSignup, closedSignup],
    console_returned: returned,
    console_clerk_sections: clerkSections,
    console_clerk_sees_dee: clerkSees.includes('dee@example.com'),
    console_clerk_settings: refused,
  };
}

export async function consoleJourney(browser, { BASE, TENANT, MGMT_KEY, ADMIN_USER, ADMIN_PASSWORD, shot, newestMailTo }, member) {
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
  const managed = await managedTenantJourney(browser, page, { BASE, shot, newestMailTo });
  await context.close();
  return {
    ...managed,
    console_ban: [banned, back],
    console_invited: invited,
    console_application: application.length > 0,
    console_signups_closed: signupsClosed,
    console_key: [before, after],
  };
}
