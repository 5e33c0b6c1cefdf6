// The reviewer inbox end to end in headless Chromium, against a running Baton.
// Started by `cargo test --test browser` (tests/browser.rs), which passes in env:
//   BATON_URL, BATON_API_KEY, BATON_PASSWORD, RECEIVER_URL, REPLY_TEXT, SUMMARY_TEXT,
//   APPROVAL_COMMENT, ARTIFACTS (folder for screenshots), CHROMIUM (browser binary).
// Exits non-zero on the first failed expectation.
import assert from "node:assert/strict";
import { ARTIFACTS, BASE, PASSWORD, RECEIVER, api, axeScan, env, launch, signIn, step } from "./lib.mjs";

const REPLY_TEXT = env("REPLY_TEXT");
const SUMMARY_TEXT = env("SUMMARY_TEXT");
const APPROVAL_COMMENT = env("APPROVAL_COMMENT");

const SESSION = "tg 777/ü";
const LIVE = { timeout: 5000 };

const browser = await launch();

try {
  // Each context is a fresh profile with its own cookies: two reviewers side by side.
  const aliceCtx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const bobCtx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  aliceCtx.setDefaultTimeout(15000);
  bobCtx.setDefaultTimeout(15000);

  step("a wrong password is refused on the sign-in page");
  {
    const page = await aliceCtx.newPage();
    await page.goto(BASE + "/inbox/login");
    await axeScan(page, "sign-in");
    await page.getByLabel("Name").fill("alice");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("alert").getByText("wrong name or password").waitFor();
    await page.close();
  }

  step("alice and bob sign in");
  const alice = await signIn(aliceCtx, "alice", "Alice", "/inbox");
  const bob = await signIn(bobCtx, "bob", "Bob");
  const cookies = await aliceCtx.cookies();
  const session = cookies.find((c) => c.name === "baton_session");
  assert.ok(session, "the session cookie is set");
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, "Lax");
  await alice.getByText("Nobody is waiting.").waitFor();

  step("a takeover created through the API appears in the queue without a reload");
  await alice.evaluate(() => { window.__sameDocument = true; });
  let r = await api("POST", `/v1/sessions/${encodeURIComponent(SESSION)}/messages`, {
    sender: "user",
    content: "My parcel never arrived.",
    channel: "telegram",
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  await api("POST", `/v1/sessions/${encodeURIComponent(SESSION)}/messages`, {
    sender: "ai",
    content: "I'm sorry to hear that. Let me check.",
  });
  r = await api("POST", "/v1/takeovers", {
    session_id: SESSION,
    channel: "telegram",
    reply_webhook: RECEIVER + "/reply",
    handback_signal: RECEIVER + "/handback",
    reason: "low_confidence",
    summary: "Parcel 1234 shows delivered but the customer says it never arrived",
    assignee: "support",
    timeout: "10m",
    context: {
      tool_calls: [{ name: "track_parcel", arguments: { id: 1234 }, result: { status: "delivered" } }],
      retrieved_chunks: [{ source: "faq/lost-parcels.md", text: "Open an investigation after 48 h." }],
      classifier: { intent: "lost_parcel", confidence: 0.42 },
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const inboxUrl = r.body.inbox_url;
  const row = alice.locator("li.row", { hasText: SESSION });
  await row.waitFor(LIVE);
  await row.getByText("AI was not confident").waitFor();
  await row.getByText("Escalates in").waitFor();
  assert.equal(await alice.evaluate(() => window.__sameDocument), true, "the queue did not reload");
  assert.match(await alice.locator("nav.tabs").innerText(), /Waiting\s*1/);
  await alice.screenshot({ path: `${ARTIFACTS}/queue.png`, fullPage: true });
  await axeScan(alice, "queue");

  step("two reviewers race to claim; one wins and the other sees who");
  await Promise.all([alice.goto(inboxUrl), bob.goto(inboxUrl)]);
  await Promise.all([alice, bob].map((p) => p.getByRole("button", { name: "Claim conversation" }).waitFor()));
  // Both click in the same instant (a Playwright click waits for stability; this does not).
  await Promise.all(
    [alice, bob].map((p) =>
      p.evaluate(() => document.querySelector('button[data-action="claim"]').click()),
    ),
  );
  // One composer appears; the other reviewer's never does (its wait just times out).
  await Promise.race([
    alice.locator("#reply").waitFor(LIVE).catch(() => {}),
    bob.locator("#reply").waitFor(LIVE).catch(() => {}),
  ]);
  const aliceWon = (await alice.locator("#reply").count()) === 1;
  const [winner, loser, winnerName] = aliceWon ? [alice, bob, "Alice"] : [bob, alice, "Bob"];
  await loser.locator(".banner", { hasText: `${winnerName} is handling this conversation.` }).waitFor(LIVE);
  await loser.locator("#toast", { hasText: `got it first: ${winnerName} already holds` }).waitFor(LIVE);
  assert.equal(await loser.locator("#reply").count(), 0, "only one reviewer can reply");
  console.log(`  ${winnerName} won the claim`);

  step("the conversation shows labelled history and the AI's context");
  await winner.getByText("My parcel never arrived.").waitFor();
  await winner.locator(".msg.user .name", { hasText: "Customer" }).first().waitFor();
  await winner.locator(".msg.ai .name", { hasText: "AI assistant" }).first().waitFor();
  await winner.getByText("AI was not confident").waitFor();
  await winner.locator("details.json summary", { hasText: "tool calls" }).click();
  await winner.getByText('"track_parcel"').waitFor();

  step("Shift+Enter makes a new line; Enter sends the reply");
  const composer = winner.getByLabel("Reply to the customer");
  await composer.click();
  await composer.pressSequentially("first line");
  await composer.press("Shift+Enter");
  await composer.pressSequentially("second line");
  assert.equal(await composer.inputValue(), "first line\nsecond line");
  await composer.fill("");
  await composer.pressSequentially(REPLY_TEXT);
  await composer.press("Enter");
  const sent = winner.locator(".msg.human", { hasText: REPLY_TEXT });
  await sent.waitFor(LIVE);
  await sent.locator(".name", { hasText: winnerName }).waitFor();
  await sent.getByText("Delivered").waitFor({ timeout: 10000 });
  assert.equal(await composer.inputValue(), "", "the composer is cleared after sending");

  step("a customer message posted through the API appears without a reload");
  await winner.evaluate(() => { window.__sameDocument = true; });
  r = await api("POST", `/v1/sessions/${encodeURIComponent(SESSION)}/messages`, {
    sender: "user",
    content: "Thanks, it was order 1234.",
  });
  assert.equal(r.status, 201);
  const started = Date.now();
  await winner.locator(".msg.user", { hasText: "Thanks, it was order 1234." }).waitFor(LIVE);
  console.log(`  appeared after ${Date.now() - started} ms`);
  assert.equal(await winner.evaluate(() => window.__sameDocument), true, "the page did not reload");

  step("an internal note is added");
  await winner.getByLabel("Add a note").fill("Opened investigation INV-77 with the carrier.");
  await winner.getByRole("button", { name: "Add note", exact: true }).click();
  await winner.locator("#notes", { hasText: "INV-77" }).waitFor(LIVE);
  await winner.screenshot({ path: `${ARTIFACTS}/conversation.png`, fullPage: true });
  await axeScan(winner, "conversation");

  step("on a phone-sized screen the conversation still fits");
  await winner.setViewportSize({ width: 390, height: 844 });
  const overflow = await winner.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no horizontal scrolling on a phone (overflow ${overflow}px)`);
  await winner.screenshot({ path: `${ARTIFACTS}/conversation-phone.png`, fullPage: true });
  await winner.setViewportSize({ width: 1280, height: 860 });

  step("a post without the CSRF token is refused");
  {
    const status = await winner.evaluate(async (path) => {
      const res = await fetch(path, { method: "POST", credentials: "same-origin" });
      return [res.status, res.headers.get("content-type")];
    }, `/v1/sessions/${encodeURIComponent(SESSION)}/release`);
    assert.deepEqual(status, [403, "application/problem+json"]);
    // A plain HTML form (what a forged cross-site form would send): no `_csrf` field. Done in a
    // context of its own (root's), so the reviewers' pages stay as they are.
    const rootCtx = await browser.newContext();
    rootCtx.setDefaultTimeout(15000);
    const forged = await signIn(rootCtx, "root", "root");
    const res = await Promise.all([
      forged.waitForResponse((x) => x.url().endsWith("/inbox/logout")),
      forged.evaluate(() => {
        const f = document.createElement("form");
        f.method = "post";
        f.action = "/inbox/logout";
        document.body.appendChild(f);
        f.submit();
      }),
    ]).then(([x]) => x);
    assert.equal(res.status(), 403, "a form post without _csrf is refused");
    await rootCtx.close();
    await winner.locator("#reply").waitFor();
  }

  step("hand back needs a summary, then returns the conversation to the AI");
  await winner.locator("summary", { hasText: "Hand back to the AI" }).click();
  const summary = winner.getByLabel("Summary for the AI (required)");
  assert.ok((await summary.getAttribute("placeholder")).length > 10, "the summary has a hint");
  await winner.getByRole("button", { name: "Hand back", exact: true }).click();
  assert.equal(await summary.evaluate((el) => el.validity.valueMissing), true, "an empty summary is not sent");
  await summary.fill(SUMMARY_TEXT);
  await winner.getByRole("button", { name: "Hand back", exact: true }).click();
  await winner.locator(".banner", { hasText: "Handed back to the AI." }).waitFor(LIVE);
  await winner.locator(".msg.system", { hasText: SUMMARY_TEXT }).waitFor(LIVE);
  r = await api("GET", `/v1/sessions/${encodeURIComponent(SESSION)}`);
  assert.equal(r.body.status, "handed_back");
  assert.equal(r.body.owner, "ai");
  await loser.locator(".banner", { hasText: "Handed back to the AI." }).waitFor(LIVE);

  step("the handed-back conversation is listed under its tab");
  await winner.goto(BASE + "/inbox?view=handed_back");
  await winner.locator("li.row", { hasText: SESSION }).waitFor();

  step("pages and assets stay small");
  for (const path of ["/inbox", "/inbox/assets/inbox.js", "/inbox/assets/inbox.css", new URL(inboxUrl).pathname]) {
    const size = await winner.evaluate(async (p) => (await (await fetch(p)).arrayBuffer()).byteLength, path);
    assert.ok(size < 200 * 1024, `${path} is ${size} bytes`);
  }

  step("pages are served with the security headers");
  {
    const res = await fetch(BASE + "/inbox/login");
    assert.match(res.headers.get("content-security-policy"), /script-src 'self'/);
    assert.match(res.headers.get("content-security-policy"), /frame-ancestors 'none'/);
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
  }

  step("an approval is edited on its conversation page and the workflow hears the decision");
  {
    const APPROVAL = "approval-1234";
    r = await api("POST", `/v1/sessions/${APPROVAL}/messages`, {
      sender: "user",
      content: "Please refund order 1234, it arrived broken.",
      channel: "telegram",
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    r = await api("POST", "/v1/takeovers", {
      mode: "approval",
      session_id: APPROVAL,
      reply_webhook: RECEIVER + "/resume",
      reason: "out_of_scope",
      assignee: "support",
      timeout: "1h",
      summary: "Refund above the AI's limit",
      proposal: { refund: { order: 1234, amount: 250 } },
      decisions: ["approve", "reject", "edit"],
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    await loser.goto(r.body.inbox_url);
    await loser.getByText("Approval requested.").waitFor();
    await loser.getByRole("radio", { name: "edit" }).check();
    const edited = loser.getByLabel("Edited proposal (JSON or text; used with “edit”)");
    assert.match(await edited.inputValue(), /"amount": 250/, "the proposal is prefilled");
    await edited.fill(JSON.stringify({ refund: { order: 1234, amount: 200 } }));
    await loser.getByLabel("Comment (optional)").fill(APPROVAL_COMMENT);
    await loser.getByRole("button", { name: "Send decision" }).click();
    await loser.locator("#approval", { hasText: "Approval decided: edited" }).waitFor(LIVE);
    await loser.screenshot({ path: `${ARTIFACTS}/approval.png`, fullPage: true });
  }

  step("an admin adds a reviewer in the admin pages, and the new reviewer can sign in");
  const adminCtx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  adminCtx.setDefaultTimeout(15000);
  const admin = await signIn(adminCtx, "root", "root");
  admin.on("dialog", (d) => d.accept());
  await admin.getByRole("link", { name: "Admin", exact: true }).click();
  await admin.waitForURL(BASE + "/inbox/admin/reviewers");
  await axeScan(admin, "admin reviewers");
  await admin.getByText("Add a reviewer").click();
  const create = admin.locator("details.create form");
  await create.getByLabel("Sign-in name").fill("dana");
  await create.getByLabel("Display name (what customers see)").fill("Dana");
  await create.getByLabel("Password (at least 8 characters)").fill(PASSWORD);
  await create.getByRole("checkbox", { name: "billing" }).check();
  await create.getByRole("button", { name: "Add reviewer" }).click();
  const danaRow = admin.locator("#reviewers li", { hasText: "(dana)" });
  await danaRow.waitFor(LIVE);
  await danaRow.getByText("Teams: billing").waitFor();
  await admin.screenshot({ path: `${ARTIFACTS}/admin-reviewers.png`, fullPage: true });
  const danaCtx = await browser.newContext();
  danaCtx.setDefaultTimeout(15000);
  const dana = await signIn(danaCtx, "dana", "Dana");
  assert.equal(await dana.getByRole("link", { name: "Admin", exact: true }).count(), 0, "no admin link for a reviewer");

  step("disabling the reviewer signs them out");
  await danaRow.getByRole("button", { name: "Disable dana" }).click();
  await admin.locator("#reviewers li", { hasText: "(dana)" }).getByText("disabled", { exact: true }).waitFor(LIVE);
  await dana.goto(BASE + "/inbox");
  assert.match(dana.url(), /\/inbox\/login/, "a disabled reviewer is sent to sign in");
  await danaCtx.close();

  step("teams and escalation policies are managed on their pages");
  await admin.getByRole("link", { name: "Teams", exact: true }).click();
  await admin.getByLabel("New team").fill("returns");
  await admin.getByRole("button", { name: "Add team" }).click();
  await admin.locator("#teams li", { hasText: "returns" }).waitFor(LIVE);
  await axeScan(admin, "admin teams");
  await admin.getByRole("link", { name: "Escalation policies", exact: true }).click();
  await admin.getByText("Add a policy").click();
  const policy = admin.locator("details.create form");
  await policy.getByLabel("Name").fill("support-default");
  await policy.getByLabel("Applies to the takeovers of team").selectOption("support");
  await policy.getByLabel("Hand to").selectOption("returns");
  await policy.getByLabel("Wait").fill("10m");
  await policy.getByRole("button", { name: "Add step" }).click();
  await policy.getByLabel("Hand to").nth(1).selectOption("carol");
  await policy.getByLabel("Wait").nth(1).fill("1h");
  await policy.getByLabel("Fallback message to the customer").fill("Nobody is free; we will email you.");
  await policy.getByRole("button", { name: "Save policy" }).click();
  const saved = admin.locator("#policies li", { hasText: "support-default" });
  await saved.waitFor(LIVE);
  await saved.getByText("returns · 10m").waitFor();
  await saved.getByText("carol · 1h").waitFor();
  r = await api("GET", "/v1/escalation-policies");
  assert.deepEqual(
    r.body.find((p) => p.name === "support-default").steps,
    [{ assignee: "returns", wait: 600 }, { assignee: "carol", wait: 3600 }],
  );
  await axeScan(admin, "admin escalation policies");

  step("an API key is created (shown once, with a copy hint) and revoked");
  await admin.getByRole("link", { name: "API keys", exact: true }).click();
  await admin.getByLabel("New key for").fill("n8n staging");
  await admin.getByRole("button", { name: "Create key" }).click();
  const shown = admin.locator("#new-key");
  await shown.getByText("Copy these now: they are not shown again").waitFor(LIVE);
  const newKey = await shown.getByLabel("API key").inputValue();
  assert.match(newKey, /^bk_/);
  assert.match(await shown.getByLabel("Signing secret").inputValue(), /^whsec_/);
  r = await api("GET", "/v1/me", null, newKey);
  assert.equal(r.status, 200, "the new key works");
  await axeScan(admin, "admin API keys");
  await admin.screenshot({ path: `${ARTIFACTS}/admin-api-keys.png`, fullPage: true });
  const keyRow = admin.locator("#api-keys tr", { hasText: "n8n staging" });
  await keyRow.getByRole("button", { name: "Revoke n8n staging" }).click();
  await admin.locator("#api-keys tr", { hasText: "n8n staging" }).getByText("revoked", { exact: true }).waitFor(LIVE);
  r = await api("GET", "/v1/me", null, newKey);
  assert.equal(r.status, 401, "a revoked key is refused at once");

  step("the insights page draws its charts and lists what triggered each handoff");
  await admin.getByRole("link", { name: "Insights", exact: true }).click();
  await admin.waitForURL(BASE + "/inbox/insights");
  assert.equal(await admin.locator("svg.chart[role=img]").count(), 4, "four charts");
  for (const name of ["Handoffs per day", "Time to claim per day", "Handoff reasons", "Outcomes"]) {
    await admin.getByRole("img", { name }).waitFor();
  }
  const reviewItem = admin.locator("section.reviewgroup", { hasText: "AI was not confident" });
  await reviewItem.getByText("My parcel never arrived.").waitFor();
  await reviewItem.getByRole("link", { name: SESSION }).waitFor();
  await axeScan(admin, "insights");
  await admin.screenshot({ path: `${ARTIFACTS}/insights.png`, fullPage: true });
  await admin.getByLabel("Range", { exact: true }).selectOption("30");
  await admin.getByRole("button", { name: "Show" }).click();
  await admin.waitForURL(/days=30/);

  step("admin and insights pages fit a phone and stay small");
  await admin.setViewportSize({ width: 390, height: 844 });
  for (const path of ["/inbox/insights", "/inbox/admin/reviewers", "/inbox/admin/escalation", "/inbox/admin/api-keys"]) {
    await admin.goto(BASE + path);
    const overflow = await admin.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `no horizontal scrolling on a phone at ${path} (overflow ${overflow}px)`);
    const size = await admin.evaluate(async (p) => (await (await fetch(p)).arrayBuffer()).byteLength, path);
    assert.ok(size < 200 * 1024, `${path} is ${size} bytes`);
    if (path === "/inbox/insights") await admin.screenshot({ path: `${ARTIFACTS}/insights-phone.png`, fullPage: true });
  }
  await adminCtx.close();

  step("signing out ends the session");
  await winner.getByRole("button", { name: "Sign out" }).click();
  await winner.waitForURL(/\/inbox\/login/);
  await winner.goto(BASE + "/inbox");
  assert.match(winner.url(), /\/inbox\/login/);

  console.log("browser tests passed");
} finally {
  await browser.close();
}
