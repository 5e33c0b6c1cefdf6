// The reviewer workspace (issue 14) in headless Chromium: pages that never scroll sideways (at
// 390×844 and 1366×800), times in the reviewer's own zone, approvals, keyboard shortcuts, the
// small fixes, and a conversation page that says when its conversation moved away.
// Started by `cargo test --test browser` with BATON_URL, BATON_API_KEY, BATON_PASSWORD,
// RECEIVER_URL, ARTIFACTS and CHROMIUM.
import assert from "node:assert/strict";
import { ARTIFACTS, BASE, RECEIVER, api, axeScan, env, launch, signIn, step } from "./lib.mjs";

const LIVE = { timeout: 5000 };
const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1366, height: 800 };
const ZONE = "America/New_York";

const browser = await launch();

/** Fails when the page scrolls sideways at its current size. */
async function fits(page, label) {
  const [scroll, inner, wide] = await page.evaluate(() => {
    // The outermost elements that reach past the window's right edge, to say what overflows.
    const w = window.innerWidth;
    const wide = Array.from(document.querySelectorAll("body *"))
      .filter((el) => !el.closest(".chartscroll, .tablewrap, pre") && el.getBoundingClientRect().right > w + 0.5 && !(el.parentElement.getBoundingClientRect().right > w + 0.5))
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${el.className} (${Math.round(el.getBoundingClientRect().right)}px)`);
    return [document.documentElement.scrollWidth, w, wide];
  });
  assert.ok(scroll <= inner, `${label} scrolls sideways: ${scroll}px wide in a ${inner}px window; ${wide.join(", ")}`);
}

/** Visits each path at 360 px, phone and laptop size: nothing scrolls sideways, axe-core is clean. */
async function checkLayout(page, paths, label) {
  for (const size of [{ width: 360, height: 740 }, PHONE, LAPTOP]) {
    await page.setViewportSize(size);
    for (const path of paths) {
      await page.goto(BASE + path);
      // Open every folded context block, so its long lines count too.
      await page.evaluate(() => document.querySelectorAll("details").forEach((d) => { d.open = true; }));
      await fits(page, `${label} ${path} at ${size.width}px`);
      if (size === PHONE) await axeScan(page, `${label} ${path} (phone)`);
    }
  }
  await page.setViewportSize(LAPTOP);
}

async function takeover(body) {
  const r = await api("POST", "/v1/takeovers", { reply_webhook: RECEIVER + "/reply", assignee: "support", timeout: "1h", ...body });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

async function say(session, content, extra = {}) {
  const r = await api("POST", `/v1/sessions/${encodeURIComponent(session)}/messages`, { sender: "user", content, ...extra });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

try {
  const aliceCtx = await browser.newContext({ viewport: LAPTOP, timezoneId: ZONE, locale: "en-GB" });
  const bobCtx = await browser.newContext({ viewport: LAPTOP });
  const rootCtx = await browser.newContext({ viewport: LAPTOP });
  for (const c of [aliceCtx, bobCtx, rootCtx]) c.setDefaultTimeout(15000);

  step("conversations with long lines: a 5 000-character chunk, long JSON, a plain-text proposal");
  const LONG = "ws-long-" + "x".repeat(60);
  const unbroken = "A".repeat(5000);
  await say(LONG, "Where is my order? " + "B".repeat(400), { channel: "web" });
  await takeover({
    session_id: LONG,
    channel: "web",
    reason: "low_confidence",
    summary: "Customer quotes a tracking link " + "https://carrier.example/track/" + "9".repeat(300),
    context: {
      retrieved_chunks: [{ source: "faq/very-long.md", text: unbroken }],
      classifier: { intent: "where_is_my_order", notes: "n".repeat(2000), nested: { deep: { deeper: "y".repeat(900) } } },
    },
  });
  const APPROVAL = "ws-approval";
  await say(APPROVAL, "Please refund order 99, it arrived broken.", { channel: "telegram" });
  const approval = await takeover({
    mode: "approval",
    session_id: APPROVAL,
    reply_webhook: RECEIVER + "/resume",
    reason: "out_of_scope",
    summary: "Refund above the AI's limit",
    proposal: "Refund the full amount of order 99 to the original card " + "and-apologise-".repeat(250),
    decisions: ["approve", "reject", "edit"],
    default_decision: "reject",
  });
  const OPEN_CHOICE = "ws-approval-nodefault";
  await say(OPEN_CHOICE, "Can I get a voucher?", { channel: "web" });
  const openChoice = await takeover({
    mode: "approval",
    session_id: OPEN_CHOICE,
    reason: "out_of_scope",
    proposal: { voucher: 20 },
    decisions: ["approve", "reject"],
  });

  step("alice (in New York) and bob sign in");
  const alice = await signIn(aliceCtx, "alice", "Alice");
  const bob = await signIn(bobCtx, "bob", "Bob");
  const root = await signIn(rootCtx, "root", "root");
  root.on("dialog", (d) => d.accept());

  step("item 1: queue, conversations, admin and insights never scroll sideways (390 and 1366 px)");
  const longPath = "/inbox/sessions/" + encodeURIComponent(LONG);
  await checkLayout(alice, ["/inbox", "/inbox?view=team", longPath, new URL(approval.inbox_url).pathname], "reviewer");
  await alice.setViewportSize(PHONE);
  await alice.goto(BASE + "/inbox");
  await alice.screenshot({ path: `${ARTIFACTS}/workspace-queue-phone.png`, fullPage: true });
  const rowBox = await alice.locator("li.row", { hasText: LONG }).boundingBox();
  assert.ok(rowBox.width <= PHONE.width, `a queue row is ${rowBox.width}px wide on a 390px phone`);
  await alice.goto(BASE + longPath);
  await alice.screenshot({ path: `${ARTIFACTS}/workspace-long-context-phone.png`, fullPage: true });
  await alice.setViewportSize(LAPTOP);
  await checkLayout(
    root,
    ["/inbox/insights", "/inbox/admin/reviewers", "/inbox/admin/teams", "/inbox/admin/api-keys", "/inbox/admin/escalation", longPath],
    "admin",
  );

  step("item 2: a message time shows the reviewer's own (New York) hour, the full date in its title");
  await alice.goto(BASE + longPath);
  const stamp = alice.locator(".msg.user .by time").first();
  const iso = await stamp.getAttribute("datetime");
  assert.match(iso, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, "an ISO datetime for the script");
  const at = new Date(iso);
  const hm = (zone) => new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(at);
  const local = hm(ZONE);
  assert.notEqual(local, hm("UTC"), "New York is not UTC");
  await alice.waitForFunction((t) => /\d\d:\d\d/.test(t.textContent) && !/UTC/.test(t.textContent), await stamp.elementHandle());
  const shownText = (await stamp.innerText()).trim();
  assert.equal(shownText.match(/\d\d:\d\d/)[0], local, `the time reads ${shownText}, not New York's ${local}`);
  assert.ok(!/[A-Z][a-z]{2}/.test(shownText), `today's time has no date: ${shownText}`);
  const title = await stamp.getAttribute("title");
  assert.match(title, new RegExp(String(at.getUTCFullYear())), `the title has the full date: ${title}`);
  // The server's own fallback, for a browser without the script, says UTC.
  const raw = await (await fetch(BASE + longPath, { headers: { cookie: (await aliceCtx.cookies()).map((c) => `${c.name}=${c.value}`).join("; ") } })).text();
  assert.match(raw, new RegExp(`data-local[^>]*>${hm("UTC")} UTC<`), "the page itself says the UTC time");
  {
    // Three days later, the same message shows its date as well.
    const later = await aliceCtx.newPage();
    await later.clock.setFixedTime(new Date(at.getTime() + 3 * 86400 * 1000));
    await later.goto(BASE + longPath);
    const t = later.locator(".msg.user .by time").first();
    await later.waitForFunction((el) => !/UTC/.test(el.textContent), await t.elementHandle());
    const text = (await t.innerText()).trim();
    const day = new Intl.DateTimeFormat("en-GB", { timeZone: ZONE, day: "numeric", month: "short" }).format(at);
    assert.ok(text.includes(day) && text.includes(local), `another day's time shows "${day}" and ${local}: ${text}`);
    await later.close();
  }

  step("item 3: an approval preselects the request's default decision, or nothing");
  await alice.goto(approval.inbox_url);
  await alice.getByText("Approval requested.").waitFor();
  assert.equal(await alice.getByRole("radio", { name: "reject" }).isChecked(), true, "reject (the default) is preselected");
  assert.equal(await alice.getByRole("radio", { name: "approve" }).isChecked(), false, "approve is not");
  assert.equal(await alice.getByText("The AI is answering this conversation").count(), 0, "no AI banner on an approval");
  await alice.goto(openChoice.inbox_url);
  await alice.getByText("Approval requested.").waitFor();
  assert.equal(await alice.locator('input[name="decision"]:checked').count(), 0, "no default: nothing preselected");
  await alice.getByRole("button", { name: "Send decision" }).click();
  assert.equal(await alice.getByRole("radio", { name: "approve" }).evaluate((el) => el.validity.valueMissing), true, "a choice is needed");
  let r = await api("GET", `/v1/takeovers/${openChoice.id}`);
  assert.equal(r.body.status, "requested", "nothing was decided without a choice");
  await axeScan(alice, "approval without a default");

  step("item 3: after the decision the page shows what was decided, the edited value and the comment");
  await alice.goto(approval.inbox_url);
  await alice.getByRole("radio", { name: "edit" }).check();
  await alice.getByLabel("Edited proposal (JSON or text; used with “edit”)").fill(JSON.stringify({ refund: { order: 99, amount: 50 } }));
  await alice.getByLabel("Comment (optional)").fill("Half, as agreed on the phone.");
  await alice.getByRole("button", { name: "Send decision" }).click();
  const decided = alice.locator("#approval", { hasText: "Approval decided: edited" });
  await decided.waitFor(LIVE);
  await decided.getByText("by Alice").waitFor();
  await decided.getByText('"amount": 50').waitFor();
  await decided.getByText("Half, as agreed on the phone.").waitFor();
  await alice.reload();
  await alice.locator("#approval", { hasText: "Half, as agreed on the phone." }).waitFor();
  assert.equal(await alice.getByText("The AI is answering this conversation").count(), 0, "no AI banner on a decided approval");
  await fits(alice, "a decided approval");
  await axeScan(alice, "decided approval");
  await alice.setViewportSize(PHONE);
  await fits(alice, "a decided approval on a phone");
  await alice.setViewportSize(LAPTOP);

  step("item 4: j/k move the queue's selection, / filters, ? lists the keys, Enter opens");
  const CLAIM = "ws-claim";
  await say(CLAIM, "I need a person please.", { channel: "web" });
  await takeover({ session_id: CLAIM, channel: "web", reason: "user_requested", summary: "Wants a person" });
  await alice.goto(BASE + "/inbox?view=team");
  await alice.locator("li.row", { hasText: CLAIM }).waitFor();
  const rows = alice.locator("#queue li.row");
  const count = await rows.count();
  assert.ok(count >= 2, `${count} rows to move through`);
  const selectedHref = () => alice.evaluate(() => {
    const row = document.querySelector("#queue li.row.selected");
    return row && row.querySelector("a.rowlink").getAttribute("href");
  });
  const hrefs = await alice.locator("#queue a.rowlink").evaluateAll((links) => links.map((a) => a.getAttribute("href")));
  await alice.locator("body").press("j");
  assert.equal(await selectedHref(), hrefs[0], "j selects the first row");
  await alice.keyboard.press("j");
  assert.equal(await selectedHref(), hrefs[1], "j again: the second");
  assert.equal(await alice.evaluate(() => document.activeElement.getAttribute("href")), hrefs[1], "the selected row has the focus");
  await alice.keyboard.press("k");
  assert.equal(await selectedHref(), hrefs[0], "k goes back");
  await alice.keyboard.press("/");
  assert.equal(await alice.evaluate(() => document.activeElement.id), "filter", "/ focuses the filter");
  await alice.keyboard.type("jk?");
  assert.equal(await alice.locator("#filter").inputValue(), "jk?", "keys typed into a field stay text");
  assert.equal(await selectedHref(), hrefs[0], "typing j/k in the filter does not move the selection");
  assert.equal(await alice.locator("dialog#shortcuts[open]").count(), 0, "typing ? in a field opens nothing");
  await alice.locator("#filter").fill(CLAIM);
  assert.equal(await alice.locator("#queue li.row:visible").count(), 1, "the filter keeps the matching row");
  await alice.locator("#filter").fill("");
  await alice.locator("#queue a.rowlink").first().focus();
  await alice.keyboard.press("?");
  const dialog = alice.getByRole("dialog", { name: "Keyboard shortcuts" });
  await dialog.waitFor();
  for (const key of ["j", "k", "Enter", "/", "c", "r", "?"]) {
    await dialog.locator("kbd", { hasText: new RegExp(`^${key.replace(/[?/]/, "\\$&")}$`) }).waitFor();
  }
  await axeScan(alice, "shortcuts dialog");
  await alice.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });
  assert.equal(await alice.evaluate(() => document.activeElement.getAttribute("href")), hrefs[0], "focus returns where it was");
  const claimIndex = hrefs.findIndex((h) => h.includes(CLAIM));
  await alice.locator("body").click({ position: { x: 5, y: 300 } });
  await alice.evaluate(() => document.activeElement && document.activeElement.blur());
  for (let i = 0; i <= claimIndex; i++) await alice.keyboard.press("j");
  assert.equal(await selectedHref(), hrefs[claimIndex]);
  await alice.keyboard.press("Enter");
  await alice.waitForURL(BASE + hrefs[claimIndex]);

  step("item 4: on a conversation c claims and r goes to the reply box; not while typing");
  await alice.getByRole("button", { name: "Claim conversation" }).waitFor();
  await alice.getByLabel("Add a note").fill("c and r are just letters here");
  assert.equal(await alice.locator("#reply").count(), 0, "typing c in a note claims nothing");
  await alice.evaluate(() => document.activeElement.blur());
  await alice.keyboard.press("c");
  await alice.locator("#reply").waitFor(LIVE);
  await alice.getByLabel("Add a note").focus();
  await alice.keyboard.type("r");
  assert.equal(await alice.evaluate(() => document.activeElement.id), "note", "r typed in a note stays there");
  await alice.evaluate(() => document.activeElement.blur());
  await alice.keyboard.press("r");
  assert.equal(await alice.evaluate(() => document.activeElement.id), "reply", "r focuses the reply box");
  await alice.keyboard.type("hello");
  assert.equal(await alice.locator("#reply").inputValue(), "hello");
  await alice.locator("#reply").fill("");
  await axeScan(alice, "conversation claimed by keyboard");

  step("item 5: a lost claim names the winner by display name");
  await bob.goto(BASE + "/inbox/sessions/" + CLAIM);
  await bob.evaluate(() => {
    // The page as it was before alice's claim: bob presses a claim button of his own.
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.action = "claim";
    b.id = "stale-claim";
    b.textContent = "Claim";
    document.querySelector("#state").append(b);
    b.click();
  });
  await bob.locator("#toast", { hasText: "Someone else got it first: Alice already holds this conversation." }).waitFor(LIVE);
  await bob.locator(".banner", { hasText: "Alice is handling this conversation." }).waitFor(LIVE);

  step("item 6: after a transfer out of her teams the page says the conversation moved away");
  await alice.locator("summary", { hasText: "Transfer" }).click();
  await alice.getByLabel("Transfer to a team or reviewer").selectOption("billing");
  await alice.locator('form[data-action="transfer"] button[type="submit"]').click();
  const gone = alice.locator(".banner.gone", { hasText: "This conversation moved away." });
  await gone.waitFor(LIVE);
  assert.equal(await alice.locator("#reply").isDisabled(), true, "the reply box is disabled");
  assert.equal(await alice.locator("#note").isDisabled(), true, "the note box is disabled");
  await alice.keyboard.press("r");
  await alice.screenshot({ path: `${ARTIFACTS}/workspace-moved-away.png`, fullPage: true });
  await axeScan(alice, "moved-away conversation");

  step("item 6: a conversation transferred away by another client: the page notices too");
  {
    const AWAY = "ws-away";
    await say(AWAY, "Hello?", { channel: "web" });
    const t = await takeover({ session_id: AWAY, channel: "web", reason: "user_requested" });
    await bob.goto(t.inbox_url);
    await bob.getByRole("button", { name: "Claim conversation" }).click();
    await bob.locator("#reply").waitFor(LIVE);
    const login = await api("POST", "/v1/auth/login", { name: "bob", password: env("BATON_PASSWORD") }, "");
    r = await api("POST", `/v1/sessions/${AWAY}/transfer`, { to: "billing" }, login.body.token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    // Either the live update notices, or the next action (a note) is refused and then does.
    await bob.waitForTimeout(500);
    if (!(await bob.locator("#note").isDisabled())) {
      await bob.getByLabel("Add a note").fill("still here?");
      await bob.getByRole("button", { name: "Add note", exact: true }).click();
    }
    await bob.locator(".banner.gone", { hasText: "This conversation moved away." }).waitFor(LIVE);
    assert.equal(await bob.locator("#reply").isDisabled(), true, "the reply box is disabled");
    await fits(bob, "a moved-away conversation");
  }

  step("item 6: the notes form disappears once the conversation is closed");
  const CLOSE = "ws-close";
  await say(CLOSE, "Never mind.", { channel: "web" });
  const toClose = await takeover({ session_id: CLOSE, channel: "web", reason: "user_requested" });
  await bob.goto(toClose.inbox_url);
  await bob.getByLabel("Add a note").waitFor();
  bob.on("dialog", (d) => d.accept());
  await bob.getByRole("button", { name: "Close" }).first().click();
  await bob.locator(".banner", { hasText: "This conversation is closed." }).waitFor(LIVE);
  await bob.locator("#note").waitFor({ state: "detached", ...LIVE });

  step("item 5: the empty 'recently handed back' tab says nothing was handed back");
  await alice.goto(BASE + "/inbox?view=handed_back");
  await alice.getByText("Nothing handed back in the last 24 hours.").waitFor();
  assert.equal(await alice.getByText("New requests appear here").count(), 0, "no word of new requests");

  step("item 5: admin add forms are emptied after saving; nobody is offered to disable themself");
  await root.goto(BASE + "/inbox/admin/reviewers");
  assert.equal(await root.getByRole("button", { name: "Disable root" }).count(), 0, "no Disable on yourself");
  await root.getByRole("button", { name: "Disable alice" }).waitFor();
  await root.getByText("Add a reviewer").click();
  const create = root.locator("details.create form");
  await create.getByLabel("Sign-in name").fill("erin");
  await create.getByLabel("Display name (what customers see)").fill("Erin");
  await create.getByLabel("Password (at least 8 characters)").fill("a long password");
  await create.getByRole("checkbox", { name: "billing" }).check();
  await create.getByRole("button", { name: "Add reviewer" }).click();
  await root.locator("#reviewers li", { hasText: "(erin)" }).waitFor(LIVE);
  assert.equal(await create.getByLabel("Sign-in name").inputValue(), "");
  assert.equal(await create.getByLabel("Display name (what customers see)").inputValue(), "");
  assert.equal(await create.getByLabel("Password (at least 8 characters)").inputValue(), "");
  assert.equal(await create.getByRole("checkbox", { name: "billing" }).isChecked(), false);
  await root.goto(BASE + "/inbox/admin/teams");
  await root.getByLabel("New team").fill("returns");
  await root.getByRole("button", { name: "Add team" }).click();
  await root.locator("#teams li", { hasText: "returns" }).waitFor(LIVE);
  assert.equal(await root.getByLabel("New team").inputValue(), "", "the team field is empty again");
  await root.goto(BASE + "/inbox/admin/escalation");
  await root.getByText("Add a policy").click();
  const policy = root.locator("details.create form");
  await policy.getByLabel("Name").fill("ws-policy");
  await policy.getByLabel("Hand to").selectOption("returns");
  await policy.getByLabel("Wait").fill("10m");
  await policy.getByRole("button", { name: "Add step" }).click();
  await policy.getByLabel("Hand to").nth(1).selectOption("carol");
  await policy.getByLabel("Wait").nth(1).fill("1h");
  await policy.getByRole("button", { name: "Save policy" }).click();
  await root.locator("#policies li", { hasText: "ws-policy" }).waitFor(LIVE);
  assert.equal(await policy.getByLabel("Name").inputValue(), "");
  assert.equal(await policy.locator("[data-row]").count(), 1, "back to one step");
  assert.equal(await policy.getByLabel("Wait").inputValue(), "");

  step("item 5: no chart label is cut off on Insights");
  for (const size of [LAPTOP, PHONE]) {
    await root.setViewportSize(size);
    await root.goto(BASE + "/inbox/insights?days=90");
    const clipped = await root.evaluate(() => {
      const out = [];
      document.querySelectorAll("svg.chart").forEach((svg) => {
        const vb = svg.viewBox.baseVal;
        svg.querySelectorAll("text").forEach((t) => {
          const b = t.getBBox();
          if (b.x < vb.x - 0.5 || b.y < vb.y - 0.5 || b.x + b.width > vb.x + vb.width + 0.5 || b.y + b.height > vb.y + vb.height + 0.5) {
            out.push(`${svg.getAttribute("aria-labelledby")}: "${t.textContent}" at ${b.x.toFixed(1)}..${(b.x + b.width).toFixed(1)} of ${vb.width}`);
          }
        });
      });
      return out;
    });
    assert.deepEqual(clipped, [], "every chart label lies inside its chart");
    await fits(root, `insights at ${size.width}px`);
  }
  await root.screenshot({ path: `${ARTIFACTS}/workspace-insights-phone.png`, fullPage: true });

  console.log("workspace browser tests passed");
} finally {
  await browser.close();
}
