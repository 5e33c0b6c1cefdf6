// What needs a reviewer (issue 14), in headless Chromium with two reviewers: unread counts on
// rows and tabs rise and clear, the page title and favicon carry the number, a new row lights
// up, alerts raise a browser notification (the permission granted, `Notification` recorded),
// the silent-reviewer countdown and the customer panel show, at 1366×800 and 390×844.
// Started by `cargo test --test browser` with BATON_URL, BATON_API_KEY, BATON_PASSWORD,
// RECEIVER_URL, ARTIFACTS and CHROMIUM.
import assert from "node:assert/strict";
import { api, ARTIFACTS, axeScan, BASE, LAPTOP, launch, PHONE, RECEIVER, signIn, step } from "./lib.mjs";

const LIVE = { timeout: 8000 };

const browser = await launch();

async function fits(page, label) {
  const [scroll, inner] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= inner, `${label} scrolls sideways: ${scroll}px wide in a ${inner}px window`);
}

async function say(session, content) {
  const r = await api("POST", `/v1/sessions/${encodeURIComponent(session)}/messages`, { sender: "user", content, channel: "telegram" });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

async function takeover(session, body = {}) {
  const r = await api("POST", "/v1/takeovers", {
    session_id: session, channel: "telegram", reply_webhook: RECEIVER + "/reply", assignee: "support", timeout: "1h", ...body,
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

try {
  const aliceCtx = await browser.newContext({ viewport: LAPTOP });
  const bobCtx = await browser.newContext({ viewport: LAPTOP });
  for (const c of [aliceCtx, bobCtx]) c.setDefaultTimeout(15000);
  // Notifications: granted in the test browser, and every one raised is recorded.
  await aliceCtx.grantPermissions(["notifications"], { origin: BASE });
  await aliceCtx.addInitScript(() => {
    window.__notes = [];
    class Recorded {
      static permission = "granted";
      static requestPermission() { return Promise.resolve("granted"); }
      constructor(title, options) { window.__notes.push({ title, body: options && options.body }); }
    }
    window.Notification = Recorded;
  });

  step("a customer asks for a person: the waiting row is unread for both reviewers");
  await say("att-1", "Hello, my parcel never arrived");
  await takeover("att-1", {
    user_id: "cust-9",
    customer: { name: "Dana Scully", email: "dana@example.org", plan: "gold" },
    summary: "Parcel lost",
  });
  const alice = await signIn(aliceCtx, "alice", "Alice");
  const bob = await signIn(bobCtx, "bob", "Bob");
  for (const page of [alice, bob]) {
    await page.locator('#queue li.row.unread[data-session="att-1"] .badge').waitFor(LIVE);
    await page.waitForFunction(() => document.title.startsWith("(1) "), null, LIVE);
    const icon = await page.getAttribute("#favicon", "href");
    assert.match(decodeURIComponent(icon), /<text[^>]*>1<\/text>/, "the favicon carries the count");
  }
  assert.match(await alice.locator('nav.tabs a[href="/inbox?view=waiting"] .unread').innerText(), /1/);
  await alice.screenshot({ path: `${ARTIFACTS}/attention-1-unread-waiting.png`, fullPage: true });

  step("alerts on: a new takeover in alice's team raises a notification and a highlighted row");
  await alice.getByRole("button", { name: "Alerts off" }).click();
  await alice.getByRole("button", { name: "Alerts on" }).waitFor();
  await say("att-2", "Can I talk to someone about my invoice?");
  await takeover("att-2", { summary: "Invoice question" });
  await alice.locator('#queue li.row.fresh[data-session="att-2"]').waitFor(LIVE);
  await alice.waitForFunction(() => window.__notes.some((n) => n.body === "att-2"), null, LIVE);
  const first = await alice.evaluate(() => window.__notes.find((n) => n.body === "att-2"));
  assert.equal(first.title, "A customer is waiting for a person");
  await alice.waitForFunction(() => document.title.startsWith("(2) "), null, LIVE);
  await alice.screenshot({ path: `${ARTIFACTS}/attention-2-new-row.png`, fullPage: true });

  step("alice opens att-1: it is read for her, still unread for bob; she claims it");
  await alice.locator('#queue li.row[data-session="att-1"] a.rowlink').click();
  await alice.waitForURL(/\/inbox\/sessions\/att-1$/);
  await alice.getByRole("button", { name: "Claim conversation" }).click();
  await alice.getByLabel("Reply to the customer").waitFor();
  await alice.waitForFunction(() => document.title.startsWith("(1) "), null, LIVE);
  await bob.waitForFunction(() => document.title.startsWith("(1) "), null, LIVE);
  // Three panes on a laptop: the open conversations beside this one (this one marked, the
  // unread waiting one flagged), the conversation, the customer and context.
  await alice.locator('#convlist li.current a[aria-current="page"]').getByText("att-1").waitFor();
  await alice.locator("#convlist li.unread.waiting").getByText("att-2").waitFor();
  // The customer panel: who they are and what the workflow said about them.
  const panel = alice.locator("#customer");
  await panel.getByText("Dana Scully").waitFor();
  await panel.getByRole("link", { name: "dana@example.org" }).waitFor();
  await panel.getByText("gold").waitFor();
  await panel.getByText("cust-9").waitFor();
  // The silent-reviewer countdown: the customer spoke last.
  await alice.locator("p.silence").getByText(/goes back to the queue in/).waitFor();
  await alice.screenshot({ path: `${ARTIFACTS}/attention-3-conversation.png`, fullPage: true });

  step("the customer writes into the conversation alice holds: her Mine tab and title rise, a notification");
  await alice.goto(BASE + "/inbox?view=mine");
  await alice.locator('#queue li.row[data-session="att-1"]').waitFor();
  await alice.locator("#queue li.row .silence").getByText(/Back to the queue in/).waitFor();
  await say("att-1", "Hello? Anyone there?");
  await alice.locator('#queue li.row.unread[data-session="att-1"] .badge').waitFor(LIVE);
  assert.match(await alice.locator('#queue li.row[data-session="att-1"] .last').innerText(), /Customer:\s*Hello\? Anyone there\?/);
  assert.match(await alice.locator('nav.tabs a[href="/inbox?view=mine"] .unread').innerText(), /1/);
  await alice.waitForFunction(() => document.title.startsWith("(2) "), null, LIVE);
  await alice.waitForFunction(() => window.__notes.some((n) => n.title === "New message from a customer you are helping" && n.body === "att-1"), null, LIVE);
  await fits(alice, "queue with unread rows (laptop)");
  await alice.screenshot({ path: `${ARTIFACTS}/attention-4-mine-unread.png`, fullPage: true });

  step("on a phone: the unread queue fits and is accessible; opening the conversation clears its count");
  await alice.setViewportSize(PHONE);
  await fits(alice, "queue at 390 px");
  await axeScan(alice, "queue with unread badges (phone)");
  await alice.screenshot({ path: `${ARTIFACTS}/attention-5-phone-queue.png`, fullPage: true });
  await alice.locator('#queue li.row[data-session="att-1"] a.rowlink').click();
  await alice.waitForURL(/\/inbox\/sessions\/att-1$/);
  await alice.waitForFunction(() => document.title.startsWith("(1) "), null, LIVE);
  await fits(alice, "conversation with the customer panel at 390 px");
  assert.equal(await alice.locator("#convlist").isVisible(), false, "a phone shows one pane at a time");
  await axeScan(alice, "conversation with the customer panel (phone)");
  await alice.screenshot({ path: `${ARTIFACTS}/attention-6-phone-conversation.png`, fullPage: true });
  await alice.goto(BASE + "/inbox?view=mine");
  assert.equal(await alice.locator('#queue li.row.unread[data-session="att-1"]').count(), 0, "read rows lose their badge");

  step("a reply stops the countdown");
  await alice.setViewportSize(LAPTOP);
  await alice.goto(BASE + "/inbox/sessions/att-1");
  await alice.getByLabel("Reply to the customer").fill("Sorry for the wait, checking now.");
  await alice.getByRole("button", { name: "Send" }).click();
  await alice.locator("p.silence").waitFor({ state: "detached", ...LIVE });
  await fits(alice, "three panes at 1366 px");
  await axeScan(alice, "conversation with three panes (laptop)");
  await alice.screenshot({ path: `${ARTIFACTS}/attention-7-three-panes.png`, fullPage: true });
  console.log("attention: all steps passed");
} finally {
  await browser.close();
}
