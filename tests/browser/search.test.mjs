// Search (issue 14) in headless Chromium: a reviewer finds a closed conversation by a word in
// it, opens it, and sees its earlier handoffs; `/` goes to the search box; the page never
// scrolls sideways (390×844 and 1366×800) and axe-core finds nothing serious.
// Started by `cargo test --test browser` with BATON_URL, BATON_API_KEY, BATON_PASSWORD,
// RECEIVER_URL, ARTIFACTS and CHROMIUM.
import assert from "node:assert/strict";
import { api, ARTIFACTS, axeScan, fits, LAPTOP, launch, PHONE, RECEIVER, signIn, step } from "./lib.mjs";


const browser = await launch();

async function ok(r, status = 200) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  return r.body;
}

try {
  step("a conversation about a lost parcel is taken over, held by alice, then closed");
  const CLOSED = "search-closed-" + "c".repeat(40);
  await ok(await api("POST", `/v1/sessions/${CLOSED}/messages`, {
    sender: "user", channel: "telegram", user_id: "customer-77",
    content: "My parcel with the word kumquat-777 on the label never arrived " + "and ".repeat(60) + "<b>please</b> help",
  }), 201);
  const first = await ok(await api("POST", "/v1/takeovers", {
    session_id: CLOSED, reply_webhook: RECEIVER + "/reply", assignee: "support", timeout: "1h", reason: "user_requested",
  }), 201);
  const aliceCtx = await browser.newContext({ viewport: LAPTOP });
  aliceCtx.setDefaultTimeout(15000);
  const alice = await signIn(aliceCtx, "alice", "Alice");
  const token = (await ok(await api("POST", "/v1/auth/login", { name: "alice", password: process.env.BATON_PASSWORD }))).token;
  await ok(await api("POST", `/v1/sessions/${CLOSED}/claim`, {}, token));
  await ok(await api("POST", `/v1/sessions/${CLOSED}/handback`, { summary: "Re-sent the parcel" }, token));
  // The customer came back: a second handoff, closed this time.
  await ok(await api("POST", `/v1/sessions/${CLOSED}/messages`, { sender: "user", content: "Still nothing, sorry" }), 201);
  await ok(await api("POST", "/v1/takeovers", {
    session_id: CLOSED, reply_webhook: RECEIVER + "/reply", assignee: "support", timeout: "1h", reason: "low_confidence",
  }), 201);
  await ok(await api("POST", `/v1/sessions/${CLOSED}/close`, {}));
  // Another conversation of the same customer.
  await ok(await api("POST", "/v1/sessions/search-other/messages", { sender: "user", channel: "web", user_id: "customer-77", content: "hello" }), 201);
  await ok(await api("POST", "/v1/takeovers", { session_id: "search-other", reply_webhook: RECEIVER + "/reply", assignee: "support", timeout: "1h" }), 201);
  assert.ok(first.id);

  step("alice searches the word from the Search link and finds the closed conversation");
  await alice.getByRole("link", { name: "Search", exact: true }).click();
  await alice.waitForURL(/\/inbox\/search/);
  await alice.keyboard.press("/");
  assert.equal(await alice.evaluate(() => document.activeElement && document.activeElement.id), "q", "/ goes to the search box");
  await alice.keyboard.type("kumquat-777");
  await alice.keyboard.press("Enter");
  await alice.waitForURL(/q=kumquat-777/);
  const row = alice.locator("li.row", { hasText: CLOSED });
  await row.waitFor();
  assert.equal(await alice.locator("#results li.row").count(), 1, "only the conversation with the word");
  assert.match(await row.innerText(), /Closed/);
  assert.match(await row.locator("mark").first().innerText(), /^kumquat/i, "the word is marked");
  assert.equal(await row.locator("b").count(), 0, "the customer's markup stays text");
  assert.equal(await row.locator("time[data-local]").count(), 1, "the last activity is a local time");

  step("the search page fits a phone and a laptop, and axe-core finds nothing serious");
  for (const size of [PHONE, LAPTOP]) {
    await alice.setViewportSize(size);
    await alice.evaluate(() => document.querySelectorAll("details").forEach((d) => { d.open = true; }));
    await fits(alice, `search at ${size.width}px`);
    await axeScan(alice, `search (${size.width}px)`);
    await alice.screenshot({ path: `${ARTIFACTS}/search-${size.width}.png`, fullPage: true });
  }

  step("filters narrow: status open hides it, closed shows it");
  await alice.selectOption("#status", "open");
  await alice.getByRole("button", { name: "Search", exact: true }).click();
  await alice.waitForURL(/status=open/);
  assert.equal(await alice.locator("#results li.row").count(), 0);
  await alice.selectOption("#status", "closed");
  await alice.getByRole("button", { name: "Search", exact: true }).click();
  await alice.waitForURL(/status=closed/);
  await row.waitFor();

  step("alice opens it: the closed conversation with its earlier handoff and the customer's other conversation");
  await row.locator("a").click();
  await alice.waitForURL(/\/inbox\/sessions\//);
  await alice.getByText("kumquat-777", { exact: false }).first().waitFor();
  const earlier = alice.locator("section.earlier");
  await earlier.waitFor();
  const text = await earlier.innerText();
  assert.match(text, /Customer asked for a person/);
  assert.match(text, /Handed back to the AI/);
  assert.match(text, /held by Alice/);
  assert.ok(await earlier.getByRole("link", { name: "search-other" }).isVisible(), "the customer's other conversation is linked");
  for (const size of [PHONE, LAPTOP]) {
    await alice.setViewportSize(size);
    await fits(alice, `closed conversation at ${size.width}px`);
  }
  await alice.setViewportSize(PHONE);
  await axeScan(alice, "closed conversation (phone)");
  await alice.screenshot({ path: `${ARTIFACTS}/search-closed-conversation-phone.png`, fullPage: true });

  console.log("search browser tests passed");
} finally {
  await browser.close();
}
