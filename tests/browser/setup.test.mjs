// First-run setup (issue 17) in headless Chromium: a Baton without reviewers printed a one-time
// link; its page makes the first admin, their team and an API key, shows the three values n8n's
// Baton API credential takes with copy buttons that copy them, signs the admin in, and is a 404
// afterwards. The form (also with an error in it) and the result fit a laptop (1366×800) and a
// phone (390×844) and pass axe-core; nothing breaks the page's CSP.
// Started by `cargo test --test browser` with BATON_URL, SETUP_URL, BATON_PASSWORD, ARTIFACTS
// and CHROMIUM (no API key and no receiver: neither exists yet).
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { ARTIFACTS, axeScan, BASE, checkBothSizes, env, fits, LAPTOP, launch, PASSWORD, PHONE, step } from "./lib.mjs";

const SETUP_URL = env("SETUP_URL");

const browser = await launch();

/** The clipboard's text once it equals `expected` (the copy is asynchronous), or after 5 s. */
async function clipboard(page, expected) {
  let text = "";
  for (let i = 0; i < 50; i++) {
    text = await page.evaluate(() => navigator.clipboard.readText());
    if (text === expected) break;
    await page.waitForTimeout(100);
  }
  return text;
}

try {
  const ctx = await browser.newContext({ viewport: LAPTOP });
  ctx.setDefaultTimeout(15000);
  await ctx.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
  const page = await ctx.newPage();
  // A script or style the CSP refused, a resource that failed, or a script error shows up here;
  // but the form with a mistake, which answers 400 on purpose.
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    const deliberate = m.location().url === SETUP_URL && m.text().includes("status of 400");
    if (m.type() === "error" && !deliberate) problems.push(`console: ${m.text()} (${m.location().url})`);
  });

  step("the printed link opens the setup form");
  assert.ok(SETUP_URL.startsWith(BASE + "/setup/"), SETUP_URL);
  let res = await page.goto(SETUP_URL);
  assert.equal(res.status(), 200);
  await page.getByRole("heading", { name: "Set up Baton", level: 1 }).waitFor();
  await checkBothSizes(page, "the setup form", "setup-form");

  step("a mistake is named in the form, and what was typed stays");
  await page.getByLabel("Sign-in name").fill("ada");
  await page.getByLabel("Display name").fill("Ada Lovelace");
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Password again").fill("not the same password");
  await page.getByLabel("Team").fill("Front desk");
  await page.getByRole("button", { name: "Create admin, team and API key" }).click();
  await page.getByRole("alert").waitFor();
  await page.getByText("The two passwords differ.").waitFor();
  assert.equal(await page.getByLabel("Password again").getAttribute("aria-invalid"), "true");
  assert.equal(await page.getByLabel("Sign-in name").inputValue(), "ada");
  assert.equal(await page.getByLabel("Team").inputValue(), "Front desk");
  assert.equal(await page.getByLabel("Password", { exact: true }).inputValue(), "", "passwords are not sent back");
  await checkBothSizes(page, "the setup form with an error", "setup-error");

  step("the corrected form makes the admin, the team and the key");
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Password again").fill(PASSWORD);
  await page.getByRole("button", { name: "Create admin, team and API key" }).click();
  await page.getByRole("heading", { name: "Baton is set up", level: 1 }).waitFor();
  await page.getByText("Ada Lovelace").first().waitFor();

  step("it shows the Base URL, API Key and Signing Secret for n8n, each with a copy button");
  const shown = {};
  for (const label of ["Base URL", "API Key", "Signing Secret"]) {
    shown[label] = await page.getByLabel(label, { exact: true }).inputValue();
  }
  assert.equal(shown["Base URL"], BASE);
  assert.match(shown["API Key"], /^bk_[A-Za-z0-9_-]{43}$/);
  assert.match(shown["Signing Secret"], /^whsec_[A-Za-z0-9+/=]+$/);
  await checkBothSizes(page, "the finished setup", "setup-done");
  for (const label of ["Base URL", "API Key", "Signing Secret"]) {
    await page.evaluate(() => navigator.clipboard.writeText(""));
    await page.getByRole("button", { name: `Copy ${label}` }).click();
    await page.locator("#toast", { hasText: "Copied." }).waitFor();
    assert.equal(await clipboard(page, shown[label]), shown[label], `Copy ${label} copies it`);
  }

  step("the key works and the signing secret verifies what Baton signs with it");
  let r = await fetch(BASE + "/v1/me", { headers: { Authorization: `Bearer ${shown["API Key"]}` } });
  const me = await r.json();
  assert.equal(r.status, 200, JSON.stringify(me));
  assert.equal(me.kind, "api_key");
  assert.equal(me.name, "n8n");
  r = await fetch(BASE + "/v1/signature-tests", { method: "POST", headers: { Authorization: `Bearer ${shown["API Key"]}` } });
  const test = await r.json();
  assert.equal(r.status, 200, JSON.stringify(test));
  const secret = Buffer.from(shown["Signing Secret"].slice("whsec_".length), "base64");
  const expected = "v1," + createHmac("sha256", secret)
    .update(`${test.webhook_id}.${test.webhook_timestamp}.${test.body}`)
    .digest("base64");
  assert.ok(test.webhook_signature.split(" ").includes(expected), "the shown secret is the key's");

  step("the admin is signed in: the inbox opens without a sign-in");
  await page.getByRole("link", { name: "Open the inbox" }).click();
  await page.waitForURL(BASE + "/inbox");
  await page.getByText("Signed in as Ada Lovelace").waitFor();
  await page.getByRole("link", { name: "Admin", exact: true }).waitFor();
  assert.deepEqual(problems, [], "no script error and nothing refused by the CSP");

  step("the link is dead now, signed in or not");
  res = await page.goto(SETUP_URL);
  assert.equal(res.status(), 404);
  await page.getByRole("heading", { name: "No such page" }).waitFor();
  await page.screenshot({ path: `${ARTIFACTS}/setup-dead-laptop.png`, fullPage: true });
  const stranger = await browser.newContext({ viewport: PHONE });
  const other = await stranger.newPage();
  res = await other.goto(SETUP_URL);
  assert.equal(res.status(), 404);
  await other.getByRole("heading", { name: "No such page" }).waitFor();
  await fits(other, "the dead link at 390px");
  await axeScan(other, "the dead setup link (phone)");
  console.log("SETUP_DONE " + JSON.stringify({ api_key: shown["API Key"], signing_secret: shown["Signing Secret"] }));
} finally {
  await browser.close();
}
