// Baton's web chat widget (issue 15) in headless Chromium: an admin creates a widget key in
// Admin · Web chat; a shop page on another loopback origin embeds the one script tag; a visitor
// chats with the AI (a stand-in workflow subscribed to customer.message answers through the
// turn gate), asks for a person, and sees "joined", the typing indicator and Alice's reply
// without a reload (in the admin's own words, set in Admin · Customer texts); a reload keeps
// the conversation; the handback notice shows and the AI answers again. axe-core on the widget
// and the admin pages; no sideways scrolling at 360 px.
// Started by `cargo test --test browser` with BATON_URL, BATON_API_KEY, BATON_PASSWORD,
// RECEIVER_URL, ARTIFACTS and CHROMIUM.
import assert from "node:assert/strict";
import http from "node:http";
import { ARTIFACTS, BASE, RECEIVER, api, axeScan, launch, signIn, step } from "./lib.mjs";

const LIVE = { timeout: 10000 };

/** A plain HTTP server on 127.0.0.1; its base URL. */
function serve(handler) {
  return new Promise((resolve) => {
    const server = http.createServer(handler);
    server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` }));
  });
}

// The n8n workflow, stood in for: every customer.message is answered by the "AI" through the
// turn gate, or, when the visitor asks for a person, becomes a takeover request.
const sessions = [];
const workflow = await serve((req, res) => {
  let raw = "";
  req.on("data", (c) => { raw += c; });
  req.on("end", async () => {
    res.writeHead(200).end();
    const ev = JSON.parse(raw);
    if (ev.type !== "customer.message") return;
    sessions.push(ev.session_id);
    const text = ev.message.content;
    let answer;
    if (/person/i.test(text)) {
      answer = await api("POST", "/v1/takeovers", {
        session_id: ev.session_id, channel: "web", reply_webhook: RECEIVER + "/reply",
        reason: "user_requested", assignee: ev.widget.team, timeout: "1h",
      });
    } else {
      answer = await api("POST", `/v1/sessions/${encodeURIComponent(ev.session_id)}/messages`, {
        sender: "ai", content: `AI: you said “${text}”.`, id: "ai-" + ev.id,
      });
    }
    if (answer.status >= 300) console.log("the stand-in workflow was refused:", JSON.stringify(answer));
  });
});
let r = await api("POST", "/v1/webhooks", { url: workflow.url + "/hook", events: ["customer.message"] });
assert.equal(r.status, 201, JSON.stringify(r.body));

let key = null;
const shop = await serve((req, res) => {
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Shop</title></head>
<body><main><h1>The shop</h1><p>Parcels, returns and more.</p></main>
<script src="${BASE}/widget.js" data-baton-key="${key}" async></script></body></html>`);
});

const browser = await launch();
try {
  const adminCtx = await browser.newContext({ viewport: { width: 1366, height: 800 } });
  const aliceCtx = await browser.newContext({ viewport: { width: 1366, height: 800 } });
  const visitorCtx = await browser.newContext({ viewport: { width: 360, height: 740 } });
  for (const c of [adminCtx, aliceCtx, visitorCtx]) c.setDefaultTimeout(15000);

  step("an admin creates a widget key in Admin · Web chat and gets the tag to paste");
  const admin = await signIn(adminCtx, "root", "root");
  await admin.goto(BASE + "/inbox/admin/web-chat");
  await admin.getByLabel("Name").fill("Shop website");
  await admin.getByLabel("Sites allowed to embed it (one per line)").fill(shop.url);
  await admin.getByLabel("Team (sent to the workflow as the takeover's assignee)").selectOption("support");
  await admin.getByLabel("Title of the chat window").fill("Ask the shop");
  await admin.getByLabel("Welcome line").fill("Hi! Ask us anything about your order.");
  await admin.getByRole("button", { name: "Create widget" }).click();
  const tag = await admin.getByRole("textbox", { name: "Tag", exact: true }).inputValue();
  key = tag.match(/data-baton-key="(pk_[^"]+)"/)[1];
  assert.ok(tag.startsWith(`<script src="${BASE}/widget.js"`), tag);
  await admin.locator("#widgets").getByRole("button", { name: "Switch off Shop website" }).waitFor();
  await admin.setViewportSize({ width: 390, height: 844 });
  await axeScan(admin, "Admin · Web chat (phone)");
  await admin.screenshot({ path: `${ARTIFACTS}/widget-admin.png`, fullPage: true });

  step("the admin rewords what a reviewer's arrival says, for the support team in English");
  await admin.setViewportSize({ width: 1366, height: 800 });
  await admin.goto(BASE + "/inbox/admin/customer-texts");
  const joined = admin.locator("section", { has: admin.getByRole("heading", { name: /joined/ }) });
  await joined.getByLabel("Team").selectOption("support");
  await joined.getByLabel("Language (de, fr…; empty: default)").fill("en");
  await joined.getByLabel("Template").fill("{reviewer} is here to help");
  await joined.getByRole("button", { name: "Save joined" }).click();
  await joined.getByText("support, en: {reviewer} is here to help").waitFor();
  await admin.setViewportSize({ width: 390, height: 844 });
  const [wide, win] = await admin.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(wide <= win, `Admin · Customer texts scrolls sideways: ${wide}px in ${win}px`);
  await axeScan(admin, "Admin · Customer texts (phone)");
  await admin.screenshot({ path: `${ARTIFACTS}/customer-texts-phone.png`, fullPage: true });

  step("a visitor on the shop's site opens the bubble and the AI answers");
  const visitor = await visitorCtx.newPage();
  visitor.on("console", (m) => console.log("widget console:", m.text()));
  visitor.on("pageerror", (e) => console.log("widget error:", e.message));
  await visitor.goto(shop.url + "/");
  const bubble = visitor.getByRole("button", { name: "Ask the shop" });
  await bubble.click();
  const chat = visitor.getByRole("dialog", { name: "Ask the shop" });
  // Sent at once, while the conversation is still being started.
  const box = chat.getByLabel("Your message");
  await box.fill("Where is my parcel 1234?");
  await box.press("Enter");
  await chat.getByText("Hi! Ask us anything about your order.").waitFor();
  const log = chat.getByRole("log");
  await log.getByText("AI: you said “Where is my parcel 1234?”.").waitFor(LIVE);
  assert.equal(await box.inputValue(), "", "the box is emptied after sending");
  assert.equal(await log.locator(".msg.visitor").count(), 1, "the visitor's message is shown once");
  assert.equal(new Set(sessions).size, 1, "opening the chat and sending at once started one conversation");
  await axeScan(visitor, "the shop page with the chat open (360 px)");

  step("the visitor asks for a person and is told they are being connected");
  await box.fill("I want a person please");
  await box.press("Enter");
  await log.getByText("Connecting you with a person").waitFor(LIVE);
  const session = sessions[0];
  assert.ok(session && session.startsWith("web_"), session);

  step("Alice claims in the inbox; the visitor sees her join, type and reply without a reload");
  await visitor.evaluate(() => { window.__samePage = true; });
  const alice = await signIn(aliceCtx, "alice", "Alice");
  await alice.goto(`${BASE}/inbox/sessions/${encodeURIComponent(session)}`);
  await alice.locator("#timeline").getByText("I want a person please").waitFor();
  await alice.getByRole("button", { name: "Claim conversation" }).click();
  await log.getByText("Alice is here to help").waitFor(LIVE);
  const composer = alice.getByLabel("Reply to the customer");
  await composer.click();
  await composer.pressSequentially("Hi, I'm Alice");
  await chat.getByText("Alice is typing…").waitFor(LIVE);
  await composer.pressSequentially(". Parcel 1234 left the depot today.");
  await composer.press("Enter");
  const reply = log.locator(".msg.agent", { hasText: "Hi, I'm Alice. Parcel 1234 left the depot today." });
  await reply.waitFor(LIVE);
  await reply.locator(".who", { hasText: "Alice" }).waitFor();
  assert.equal(await visitor.evaluate(() => window.__samePage), true, "no reload happened");
  await visitor.screenshot({ path: `${ARTIFACTS}/widget-person-replied.png` });

  step("message text is shown as text, never as HTML");
  const markup = '<img src=x onerror="window.__pwned=1"><b>bold?</b>';
  await composer.fill(markup);
  await composer.press("Enter");
  await log.getByText(markup, { exact: true }).waitFor(LIVE);
  assert.equal(await visitor.evaluate(() => window.__pwned), undefined, "no markup ran");
  assert.equal(await log.locator("img, b").count(), 0, "no element was made from the text");

  step("a reload keeps the whole conversation");
  await visitor.reload();
  await visitor.getByRole("button", { name: "Ask the shop" }).click();
  for (const text of [
    "Where is my parcel 1234?",
    "AI: you said “Where is my parcel 1234?”.",
    "Alice is here to help",
    "Hi, I'm Alice. Parcel 1234 left the depot today.",
  ]) {
    await log.getByText(text, { exact: true }).waitFor(LIVE);
    assert.equal(await log.getByText(text, { exact: true }).count(), 1, `${text} is shown once`);
  }

  step("Alice hands back; the visitor sees the notice and the AI answers again");
  await alice.locator("summary", { hasText: "Hand back to the AI" }).click();
  await alice.getByLabel("Summary for the AI (required)").fill("Parcel 1234 is on its way.");
  await alice.getByRole("button", { name: "Hand back", exact: true }).click();
  await log.getByText("Alice is handing you back to the assistant").waitFor(LIVE);
  await box.fill("Thanks!");
  await box.press("Enter");
  await log.getByText("AI: you said “Thanks!”.").waitFor(LIVE);
  assert.equal(await log.getByText("Parcel 1234 is on its way.").count(), 0, "the summary for the AI is not shown");

  step("no sideways scrolling at 360 px with the chat open, and axe-core is clean");
  const [scroll, inner] = await visitor.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok(scroll <= inner, `the shop page scrolls sideways: ${scroll}px in ${inner}px`);
  const panel = await chat.boundingBox();
  assert.ok(panel.x >= 0 && panel.x + panel.width <= inner + 0.5, `the chat fits the phone: ${JSON.stringify(panel)}`);
  await axeScan(visitor, "the shop page after the handback (360 px)");
  await visitor.screenshot({ path: `${ARTIFACTS}/widget-phone.png` });

  step("Escape closes the chat and gives the focus back to the bubble");
  await box.press("Escape");
  assert.equal(await chat.isHidden(), true);
  assert.equal(await bubble.evaluate((el) => el.getRootNode().activeElement === el), true);
} finally {
  await browser.close();
  workflow.server.close();
  shop.server.close();
}
