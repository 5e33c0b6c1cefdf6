// Canned responses in headless Chromium: an admin adds a team-wide one with {reviewer} and
// {team} under Admin · Canned responses; a reviewer claims a conversation, types "/ref" in the
// reply box, picks it from the list with the keyboard, and sends the filled-in text (the Rust
// side checks that it reached the receiver). The admin page and the conversation with the list
// open fit a phone (390×844) and pass axe-core.
// Started by `cargo test --test browser` with BATON_URL, BATON_API_KEY, BATON_PASSWORD,
// RECEIVER_URL, ARTIFACTS, CHROMIUM, CANNED_TEMPLATE and CANNED_TEXT.
import assert from "node:assert/strict";
import { api, ARTIFACTS, axeScan, BASE, env, fits, LAPTOP, launch, PHONE, RECEIVER, signIn, step } from "./lib.mjs";

const LIVE = { timeout: 5000 };
const TEMPLATE = env("CANNED_TEMPLATE");
const FILLED = env("CANNED_TEXT");
const SESSION = "canned-browser";

const browser = await launch();

try {
  const rootCtx = await browser.newContext({ viewport: LAPTOP });
  const aliceCtx = await browser.newContext({ viewport: LAPTOP });
  for (const c of [rootCtx, aliceCtx]) c.setDefaultTimeout(15000);

  step("an admin adds a team-wide canned response under Admin · Canned responses");
  const root = await signIn(rootCtx, "root", "root");
  await root.goto(BASE + "/inbox/admin/canned-responses");
  await root.getByRole("heading", { name: "Canned responses", level: 1 }).waitFor();
  await root.locator("summary", { hasText: "Add a canned response" }).click();
  await root.locator("#new-shortcut").fill("refund-policy");
  await root.locator("#new-title").fill("Refund policy");
  await root.locator("#new-content").fill(TEMPLATE);
  await root.locator("#new-team").selectOption("support");
  await root.getByRole("button", { name: "Add canned response" }).click();
  await root.locator("#toast", { hasText: "Canned response added." }).waitFor(LIVE);
  const card = root.locator("#canned li.row", { hasText: "/refund-policy" });
  await card.waitFor(LIVE);
  await card.getByText("team support").waitFor();
  assert.equal(await root.locator("#new-shortcut").inputValue(), "", "the add form is emptied");
  // A second one, to show that typing filters the list.
  const other = await api("POST", "/v1/canned-responses", { shortcut: "greeting", title: "Greeting", content: "Hello!" }, await token("alice"));
  assert.equal(other.status, 201, JSON.stringify(other.body));
  await root.setViewportSize(PHONE);
  await root.reload();
  await root.evaluate(() => document.querySelectorAll("details").forEach((d) => { d.open = true; }));
  await fits(root, "Admin · Canned responses at 390px");
  await axeScan(root, "Admin · Canned responses (phone)");
  await root.screenshot({ path: `${ARTIFACTS}/canned-admin-phone.png`, fullPage: true });

  step("the reviewer's own page lists the team's one read-only and her personal one");
  const alice = await signIn(aliceCtx, "alice", "Alice");
  // The rest on a phone (the header's "Signed in as" that signIn waits for is hidden there).
  await alice.setViewportSize(PHONE);
  await alice.goto(BASE + "/inbox/canned");
  const teamCard = alice.locator("#canned li.row", { hasText: "/refund-policy" });
  await teamCard.waitFor();
  assert.equal(await teamCard.getByRole("button", { name: /Delete/ }).count(), 0, "team-wide ones are read-only for her");
  await alice.locator("#canned li.row", { hasText: "/greeting" }).getByRole("button", { name: /Delete/ }).waitFor();
  await fits(alice, "/inbox/canned at 390px");
  await axeScan(alice, "canned responses (phone)");

  step("a conversation for the support team; the reviewer claims it");
  let r = await api("POST", `/v1/sessions/${SESSION}/messages`, { sender: "user", content: "Can I get my money back?", user_id: "dana-42" });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  r = await api("POST", "/v1/takeovers", {
    session_id: SESSION, channel: "telegram", reply_webhook: RECEIVER + "/reply",
    reason: "user_requested", assignee: "support", timeout: "1h",
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  await alice.goto(r.body.inbox_url);
  await alice.getByRole("button", { name: "Claim conversation" }).click();
  const box = alice.locator("#reply");
  await box.waitFor(LIVE);

  step("typing /ref opens the list; slash shortcuts of the page stay quiet");
  await box.click();
  await box.pressSequentially("/");
  const list = alice.getByRole("listbox", { name: "Canned responses" });
  await list.waitFor(LIVE);
  assert.equal(await list.getByRole("option").count(), 2, "a bare slash offers every one");
  assert.equal(await alice.evaluate(() => document.activeElement.id), "reply", "the slash stays in the reply box");
  await box.pressSequentially("ref");
  assert.equal(await list.getByRole("option").count(), 1, "typing filters by shortcut");
  const option = list.getByRole("option", { name: /refund-policy/ });
  await option.waitFor();
  assert.equal(await option.getAttribute("aria-selected"), "true");
  assert.equal(await box.getAttribute("aria-activedescendant"), await option.getAttribute("id"));
  await alice.locator("#canned-status", { hasText: "1 canned response" }).waitFor();
  // Escape closes; typing again opens it.
  await box.press("Escape");
  assert.ok(await list.isHidden(), "Escape closes the list");
  await box.press("Backspace");
  await box.pressSequentially("f");
  await list.waitFor(LIVE);
  // Arrow keys move (and wrap); filtering by title works too.
  await box.press("ArrowDown");
  assert.equal(await option.getAttribute("aria-selected"), "true", "one option: the arrow stays on it");
  assert.equal(await box.inputValue(), "/ref");
  await fits(alice, "the conversation with the list open at 390px");
  await axeScan(alice, "conversation with the canned list open (phone)");
  await alice.screenshot({ path: `${ARTIFACTS}/canned-list-phone.png`, fullPage: true });

  step("Enter inserts the filled-in text instead of sending; Enter then sends it");
  await box.press("Enter");
  assert.ok(await list.isHidden(), "the list closes on insert");
  assert.equal(await box.inputValue(), FILLED, "the variables are filled in");
  await alice.screenshot({ path: `${ARTIFACTS}/canned-inserted-phone.png`, fullPage: true });
  await box.press("Enter");
  await alice.locator(".msg", { hasText: FILLED.slice(0, 30) }).first().waitFor(LIVE);
  assert.equal(await box.inputValue(), "", "sent");

  step("after the live refresh swaps #state (and the reply box in it) the list still works");
  await api("POST", `/v1/sessions/${SESSION}/messages`, { sender: "user", content: "Thanks!" });
  await alice.locator("#timeline").getByText("Thanks!").waitFor(LIVE);
  // The refresh replaces #state with a freshly parsed copy when its key changes; do the same.
  await alice.evaluate(() => {
    const old = document.getElementById("state");
    const fresh = new DOMParser().parseFromString(old.outerHTML, "text/html").getElementById("state");
    old.replaceWith(document.adoptNode(fresh));
  });
  await box.click();
  await box.pressSequentially("ok /gre");
  await list.getByRole("option", { name: /greeting/ }).waitFor(LIVE);
  await box.press("Tab");
  assert.equal(await box.inputValue(), "ok Hello!", "Tab inserts too, after other words");
  await box.fill("");
} finally {
  await browser.close();
}

/** A reviewer token for the API. */
async function token(name) {
  const res = await fetch(BASE + "/v1/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name, password: env("BATON_PASSWORD") }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.token;
}
