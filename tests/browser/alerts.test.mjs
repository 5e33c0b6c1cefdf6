// The Notifications page in headless Chromium: a reviewer (not an admin) opens it from the
// top navigation, sees the defaults (nothing set, alerts off, no quiet hours, the browser's own
// time zone offered) and that this server sends no e-mail (the test Baton has no
// BATON_SMTP_URL); a bad address and quiet hours that start and end together show the API's
// problems next to their fields and in a summary that takes the focus; valid settings with
// quiet hours are saved with a confirmation that takes the focus, kept across a reload, and
// are what `GET /v1/me/alerts` answers. Alice does it on a laptop (1366 px, her browser in
// America/Toronto), Bob on a phone (390 px) with the keyboard and a zone he types; every state
// is checked for sideways scrolling and axe-core at both sizes.
// Started by `cargo test --test browser` with BATON_URL, BATON_API_KEY, BATON_PASSWORD,
// RECEIVER_URL, ARTIFACTS and CHROMIUM.
import assert from "node:assert/strict";
import { ARTIFACTS, BASE, checkBothSizes, env, LAPTOP, launch, PHONE, signIn, step } from "./lib.mjs";

const LIVE = { timeout: 5000 };

const browser = await launch();

try {
  await flow({
    name: "alice", display: "Alice", viewport: LAPTOP, browserZone: "America/Toronto",
    email: "alice@example.com", start: "22:00", end: "07:00", zone: null, keyboard: false,
  });
  await flow({
    name: "bob", display: "Bob", viewport: PHONE, browserZone: "Europe/Berlin",
    email: "bob@example.org", start: "12:30", end: "13:15", zone: "Asia/Tokyo", keyboard: true,
  });
} finally {
  await browser.close();
}

async function flow(who) {
  const ctx = await browser.newContext({ viewport: LAPTOP, timezoneId: who.browserZone });
  ctx.setDefaultTimeout(15000);
  const page = await signIn(ctx, who.name, who.display);
  await page.setViewportSize(who.viewport);
  const at = `${who.name} at ${who.viewport.width}px`;
  const zone = who.zone || who.browserZone;

  step(`${at}: opens Notifications from the navigation`);
  const link = page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Notifications" });
  if (who.keyboard) {
    await link.focus();
    await link.press("Enter");
  } else {
    await link.click();
  }
  await page.waitForURL(BASE + "/inbox/notifications");
  await page.getByRole("heading", { name: "Notifications", level: 1 }).waitFor();
  assert.equal(await link.getAttribute("aria-current"), "page");

  step(`${at}: sees the defaults and that this server sends no e-mail`);
  await page.locator("#no-mail", { hasText: "This server sends no e-mail." }).waitFor();
  const email = page.getByLabel("E-mail address");
  const enabled = page.getByLabel("Send me alert e-mails");
  const quiet = page.getByRole("group", { name: "Quiet hours" });
  const quietOn = quiet.getByLabel("Hold alerts during quiet hours every day");
  const start = quiet.getByLabel("From");
  const end = quiet.getByLabel("Until");
  const timezone = quiet.getByLabel("Time zone");
  assert.equal(await email.inputValue(), "");
  assert.equal(await enabled.isChecked(), false, "alerts are off until set");
  assert.equal(await quietOn.isChecked(), false, "no quiet hours until set");
  assert.equal(await timezone.inputValue(), who.browserZone, "the browser's own zone is offered");
  assert.equal(await start.isDisabled(), true, "the quiet hours wait for their box");
  assert.ok((await page.locator("#timezones option").count()) > 100, "the zones are listed");
  assert.equal(await page.locator("#current-enabled").innerText(), "Off");
  assert.equal(await page.locator("#current-email").innerText(), "None set");
  assert.equal(await page.locator("#current-quiet").innerText(), "None");
  const fresh = await api("GET", "/v1/me/alerts", who);
  assert.equal(fresh.body.updated_at, null, "nothing stored yet");
  assert.equal(fresh.body.mail_configured, false, "the test Baton has no mail server");
  await checkBothSizes(page, `Notifications of ${who.name} (defaults)`, `alerts-${who.name}-defaults`);
  await page.setViewportSize(who.viewport);

  step(`${at}: a bad address and a zero-length quiet time show the API's problems where they belong`);
  await email.fill(who.email.replace("@", " at "));
  await enabled.check();
  await quietOn.check();
  assert.equal(await start.isDisabled(), false);
  await start.fill("09:00");
  await end.fill("09:00");
  await save(page, who);
  const problems = page.locator("#alerts-problems");
  await problems.waitFor(LIVE);
  assert.match(await problems.innerText(), /Not saved/);
  assert.match(await problems.innerText(), /E-mail address: ".*" is not an e-mail address such as alice@example\.com/);
  assert.match(await problems.innerText(), /Until: must differ from start/);
  assert.equal(await page.evaluate(() => document.activeElement.id), "alerts-problems", "the summary takes the focus");
  assert.equal(await email.getAttribute("aria-invalid"), "true");
  assert.match(await page.locator("#alert-email-error").innerText(), /is not an e-mail address/);
  assert.match(await page.locator("#quiet-end-error").innerText(), /must differ from start/);
  assert.equal(await page.locator("#quiet-start-error").innerText(), "", "only the field the API named");
  // The field's own problem is read with it.
  assert.match(await email.getAttribute("aria-describedby"), /alert-email-error/);
  assert.ok(await page.locator("#alerts-saved").isHidden(), "nothing claims it was saved");
  assert.equal((await api("GET", "/v1/me/alerts", who)).body.updated_at, null, "still nothing stored");
  await checkBothSizes(page, `Notifications of ${who.name} (problems)`, `alerts-${who.name}-problems`);
  await page.setViewportSize(who.viewport);
  // A summary line leads to its field.
  await problems.getByRole("link", { name: /^E-mail address:/ }).click();
  assert.equal(await page.evaluate(() => document.activeElement.id), "alert-email");

  step(`${at}: valid settings with quiet hours are saved and confirmed`);
  if (who.keyboard) {
    await email.fill("");
    await email.pressSequentially(who.email);
  } else {
    await email.fill(who.email);
  }
  await start.fill(who.start);
  await end.fill(who.end);
  if (who.zone) await timezone.fill(who.zone);
  await save(page, who);
  const saved = page.locator("#alerts-saved");
  await saved.waitFor(LIVE);
  assert.equal(
    await saved.innerText(),
    `Saved. Alerts go to ${who.email}, except ${who.start}–${who.end} (${zone}). This server sends no e-mail until a mail server is set up.`,
  );
  assert.equal(await page.evaluate(() => document.activeElement.id), "alerts-saved", "the confirmation takes the focus");
  assert.ok(await problems.isHidden(), "the problems are gone");
  assert.equal(await email.getAttribute("aria-invalid"), null);
  assert.equal(await page.locator("#quiet-end-error").innerText(), "");
  await page.locator("#current-quiet", { hasText: `${who.start}–${who.end} (${zone})` }).waitFor(LIVE);
  assert.equal(await page.locator("#current-email").innerText(), who.email);
  assert.equal(await page.locator("#current-enabled").innerText(), "On, but this server sends no e-mail");
  await checkBothSizes(page, `Notifications of ${who.name} (saved)`, `alerts-${who.name}-saved`);
  await page.setViewportSize(who.viewport);

  step(`${at}: a reload shows them kept, and the API has them`);
  await page.reload();
  await page.getByRole("heading", { name: "Notifications", level: 1 }).waitFor();
  assert.equal(await email.inputValue(), who.email);
  assert.equal(await enabled.isChecked(), true);
  assert.equal(await quietOn.isChecked(), true);
  assert.equal(await start.inputValue(), who.start);
  assert.equal(await end.inputValue(), who.end);
  assert.equal(await timezone.inputValue(), zone, "the stored zone, not the browser's");
  const stored = await api("GET", "/v1/me/alerts", who);
  assert.equal(stored.status, 200, JSON.stringify(stored.body));
  assert.deepEqual(
    { email: stored.body.email, enabled: stored.body.enabled, quiet_hours: stored.body.quiet_hours },
    { email: who.email, enabled: true, quiet_hours: { timezone: zone, start: who.start, end: who.end } },
  );
  assert.ok(stored.body.updated_at, "stored now");
  await page.screenshot({ path: `${ARTIFACTS}/alerts-${who.name}-reloaded.png`, fullPage: true });
  await ctx.close();
}

/** Saves with the mouse, or on the keyboard with Enter on the button. */
async function save(page, who) {
  const button = page.getByRole("button", { name: "Save", exact: true });
  if (who.keyboard) {
    await button.focus();
    await button.press("Enter");
  } else {
    await button.click();
  }
}

/** The reviewer's own view through the API, with a token of their own. */
async function api(method, path, who) {
  const login = await fetch(BASE + "/v1/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: who.name, password: env("BATON_PASSWORD") }),
  });
  const { token } = await login.json();
  assert.equal(login.status, 200);
  const res = await fetch(BASE + path, { method, headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}
