// WhatsApp templates in headless Chromium: an admin registers a template (text header, two
// body values, a URL button with a value) under Admin · WhatsApp templates; a reviewer claims a
// WhatsApp conversation whose 24-hour window has closed, finds the template picker where the
// reply box was, picks the template, fills its values while the preview follows, and sends it
// (the Rust side checks the callback's Cloud API `template` object at the receiver). When the
// customer answers, the reply box is back. Both pages fit a phone (390 px) and a laptop and
// pass axe-core.
// Started by `cargo test --test browser` with BATON_URL, BATON_API_KEY, BATON_PASSWORD,
// RECEIVER_URL, ARTIFACTS, CHROMIUM and TEMPLATE_TEXT (the rendered text it expects).
import assert from "node:assert/strict";
import { api, BASE, checkBothSizes, env, LAPTOP, launch, RECEIVER, signIn, step } from "./lib.mjs";

const LIVE = { timeout: 5000 };
const RENDERED = env("TEMPLATE_TEXT");
const SESSION = "wa-template-browser";

const browser = await launch();

try {
  const rootCtx = await browser.newContext({ viewport: LAPTOP });
  const aliceCtx = await browser.newContext({ viewport: LAPTOP });
  for (const c of [rootCtx, aliceCtx]) c.setDefaultTimeout(15000);

  step("an admin registers a template under Admin · WhatsApp templates");
  const root = await signIn(rootCtx, "root", "root");
  await root.goto(BASE + "/inbox/admin/whatsapp-templates");
  await root.getByRole("heading", { name: "WhatsApp templates", level: 1 }).waitFor();
  await root.getByText("No templates yet.").waitFor();
  await root.locator("summary", { hasText: "Add a template" }).click();
  await root.locator("#new-team").selectOption("support");
  await root.locator("#new-name").fill("order_update");
  await root.locator("#new-language").fill("en_US");
  await root.locator("#new-category").selectOption("UTILITY");
  await root.locator("#new-header-format").selectOption("TEXT");
  await root.locator("#new-header-text").fill("Order {{1}}");
  await root.locator("#new-body").fill("Hi {{1}}, your order {{2}} is on its way.");
  await root.locator("#new-footer").fill("Shop Inc.");
  await root.getByRole("button", { name: "Add button" }).click();
  const buttonRow = root.locator("#new-buttons [data-row]").first();
  await buttonRow.getByLabel("Button").selectOption("URL");
  await buttonRow.getByLabel("Label").fill("Track it");
  await buttonRow.getByLabel("URL").fill("https://shop.example/track/{{1}}");
  await root.getByRole("button", { name: "Add template" }).click();
  await root.locator("#toast", { hasText: "Template added." }).waitFor(LIVE);
  const card = root.locator("#templates li.row", { hasText: "order_update" });
  await card.waitFor(LIVE);
  await card.getByText("team support").waitFor();
  await card.locator("p.canned-text", { hasText: "Hi {{1}}, your order {{2}} is on its way." }).waitFor();
  assert.equal(await root.locator("#new-name").inputValue(), "", "the add form is emptied");

  step("a bad name is refused with the problem's words, next to the form");
  await root.locator("#new-team").selectOption("support");
  await root.locator("#new-name").fill("Order-Update");
  await root.locator("#new-name").evaluate((el) => el.removeAttribute("pattern"));
  await root.locator("#new-language").fill("en");
  await root.locator("#new-body").fill("Hello");
  await root.getByRole("button", { name: "Add template" }).click();
  await root.locator("details.create .formerror", { hasText: "name" }).waitFor(LIVE);
  await root.evaluate(() => document.querySelectorAll("details").forEach((d) => { d.open = true; }));
  await checkBothSizes(root, "Admin · WhatsApp templates", "templates-admin");

  step("a WhatsApp conversation whose window closed 1 hour ago; the reviewer claims it");
  const wrote = new Date(Date.now() - 25 * 3600 * 1000).toISOString();
  let r = await api("POST", `/v1/sessions/${SESSION}/messages`, {
    sender: "user", content: "Where is my order?", channel: "whatsapp", channel_ref: "+4915112345678", at: wrote,
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  r = await api("POST", "/v1/takeovers", {
    session_id: SESSION, channel: "whatsapp", reply_webhook: RECEIVER + "/reply",
    reason: "user_requested", assignee: "support", timeout: "1h",
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const alice = await signIn(aliceCtx, "alice", "Alice");
  await alice.goto(r.body.inbox_url);
  await alice.getByRole("button", { name: "Claim conversation" }).click();

  step("the picker stands where the reply box was");
  const pick = alice.getByLabel("Template", { exact: true });
  await pick.waitFor(LIVE);
  assert.equal(await alice.locator("#reply").count(), 0, "no free-text box after the window");
  await alice.getByText("WhatsApp's 24-hour window closed").waitFor();
  await alice.getByText("Choose a template to see it here.").waitFor();

  step("picking the template asks for its values; the preview follows the typing");
  await pick.selectOption({ label: "order_update (en_US) · utility" });
  const header = alice.getByLabel("Header {{1}}");
  const name = alice.getByLabel("Body {{1}}");
  const order = alice.getByLabel("Body {{2}}");
  const track = alice.getByLabel(/Button “Track it”/);
  await name.waitFor();
  const preview = alice.locator("#template-preview");
  assert.match(await preview.innerText(), /Hi \{\{1\}\}, your order \{\{2\}\} is on its way\./);
  await header.fill("#123");
  await name.pressSequentially("Ana");
  await order.fill("#123");
  await track.fill("123");
  assert.equal(await preview.locator(".template-text").innerText(), RENDERED, "the preview is the text the customer reads");
  await preview.getByText("Track it").waitFor();
  await checkBothSizes(alice, "the template picker", "templates-picker");

  step("sending records the turn and queues the callback");
  await alice.getByRole("button", { name: "Send template" }).click();
  await alice.locator("#toast", { hasText: "Template sent." }).waitFor(LIVE);
  await alice.locator("#timeline .msg", { hasText: "Hi Ana, your order #123 is on its way." }).waitFor(LIVE);
  assert.equal(await pick.inputValue(), "", "the picker is emptied for the next one");

  step("the customer answers: the window reopens and the reply box is back");
  r = await api("POST", `/v1/sessions/${SESSION}/messages`, { sender: "user", content: "Thank you!", channel: "whatsapp" });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  await alice.locator("#reply").waitFor(LIVE);
  assert.equal(await alice.locator("#template-pick").count(), 0, "the picker is gone");
} finally {
  await browser.close();
}
