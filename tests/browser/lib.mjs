// What the browser scripts share: their environment, the API client, signing in, the axe-core
// scan and the Chromium launch. Each script is started by `cargo test --test browser`
// (tests/browser.rs), which passes the env named here.
import assert from "node:assert/strict";
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/** The value of a required environment variable. */
export function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`missing env ${name}`);
  return v;
}

export const BASE = env("BATON_URL");
// The first-run setup test starts before any API key or callback receiver exists: it has
// neither, and every other test passes both.
export const API_KEY = process.env.BATON_API_KEY || null;
export const PASSWORD = env("BATON_PASSWORD");
export const RECEIVER = process.env.RECEIVER_URL || null;
export const ARTIFACTS = env("ARTIFACTS");
mkdirSync(ARTIFACTS, { recursive: true });

export function step(name) {
  console.log(`• ${name}`);
}

/** Calls Baton's API; the status and the parsed JSON body (or null). */
export async function api(method, path, body, token = API_KEY) {
  const res = await fetch(BASE + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Signs a reviewer in through the sign-in form, starting from `from` (which must lead there). */
export async function signIn(context, name, displayName, from = "/inbox/login") {
  const page = await context.newPage();
  await page.goto(BASE + from);
  assert.match(page.url(), /\/inbox\/login/, `a visit to ${from} leads to the sign-in page`);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL(BASE + "/inbox");
  await page.getByText(`Signed in as ${displayName}`).waitFor();
  return page;
}

/** Fails on any serious or critical axe-core violation on the page. */
export async function axeScan(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { resultTypes: ["violations"] }),
  );
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
    [],
    `axe-core found serious violations on the ${label} page`,
  );
}

/** Headless Chromium from CHROMIUM, without background traffic. */
export function launch() {
  return chromium.launch({
    executablePath: env("CHROMIUM"),
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
    ],
  });
}

/** The two sizes every page is checked at: a phone and a laptop. */
export const PHONE = { width: 390, height: 844 };
export const LAPTOP = { width: 1366, height: 800 };

/** Fails when the page scrolls sideways at its current size. */
export async function fits(page, label) {
  const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= inner, `${label} scrolls sideways: ${scroll}px wide in a ${inner}px window`);
}

/** At both sizes: no sideways scrolling, nothing serious for axe-core, a screenshot each. */
export async function checkBothSizes(page, label, shot) {
  for (const [size, viewport] of [["laptop", LAPTOP], ["phone", PHONE]]) {
    await page.setViewportSize(viewport);
    await fits(page, `${label} at ${viewport.width}px`);
    await axeScan(page, `${label} (${size})`);
    await page.screenshot({ path: `${ARTIFACTS}/${shot}-${size}.png`, fullPage: true });
  }
  await page.setViewportSize(LAPTOP);
}
