// Replies from outside Baton (issue 16) in headless Chromium: a shop assistant answers the
// customer from another tool, the workflow records it as a `staff:Maria` turn, and the inbox
// says so in the list and on the conversation (with her turn in the timeline); a reviewer can
// still claim it from the page; an admin sets the team's quiet time in Admin · Teams. Each
// page fits a phone (390×844) and a laptop (1366×800) and passes axe-core.
// Started by `cargo test --test browser` with BATON_URL, BATON_API_KEY, BATON_PASSWORD,
// RECEIVER_URL, ARTIFACTS and CHROMIUM.
import assert from "node:assert/strict";
import { api, checkBothSizes, LAPTOP, launch, RECEIVER, signIn, step } from "./lib.mjs";

const SESSION = "wa-outside-1";

const browser = await launch();

async function ok(r, status = 200) {
  assert.equal(r.status, status, JSON.stringify(r.body));
  return r.body;
}

try {
  step("a customer writes on WhatsApp; Maria answers from the shop's phone, recorded as a staff turn");
  await ok(await api("POST", `/v1/sessions/${SESSION}/messages`, {
    sender: "user", channel: "whatsapp", user_id: "customer-31", content: "Is my order ready for pick-up?",
  }), 201);
  const turn = await ok(await api("POST", `/v1/sessions/${SESSION}/messages`, {
    sender: "staff:Maria", content: "Hi, Maria from the shop: yes, it is at the counter.",
    reply_webhook: RECEIVER + "/reply", assignee: "support",
  }), 201);
  assert.equal(turn.owner, "staff");
  const refused = await api("POST", `/v1/sessions/${SESSION}/messages`, { sender: "ai", content: "I can help!" });
  assert.equal(refused.status, 409, "the AI is refused while Maria has the chat");

  step("alice's list says the conversation is answered outside Baton by Maria");
  const aliceCtx = await browser.newContext({ viewport: LAPTOP });
  aliceCtx.setDefaultTimeout(15000);
  const alice = await signIn(aliceCtx, "alice", "Alice");
  await alice.goto(new URL("/inbox?view=waiting", alice.url()).href);
  const row = alice.locator("li.row", { hasText: SESSION });
  await row.getByText("Answered outside Baton by Maria").waitFor();
  await checkBothSizes(alice, "the list with a conversation answered outside Baton", "staff-list");

  step("the conversation shows it too, with Maria's turn in the timeline");
  await alice.goto(new URL(`/inbox/sessions/${SESSION}`, alice.url()).href);
  await alice.getByText("Answered outside Baton by Maria").first().waitFor();
  await alice.locator("#timeline").getByText("Maria (outside Baton)").first().waitFor();
  await alice.locator("#timeline").getByText("yes, it is at the counter").waitFor();
  await checkBothSizes(alice, "a conversation answered outside Baton", "staff-conversation");

  step("alice claims it from the page and can reply from Baton");
  await alice.getByRole("button", { name: "Claim conversation" }).click();
  await alice.getByRole("textbox", { name: "Reply to the customer" }).waitFor();
  const state = await ok(await api("GET", `/v1/sessions/${SESSION}`));
  assert.equal(state.owner, "human");
  assert.equal(state.assigned_to, "alice");

  step("an admin sees and sets the team's quiet time in Admin · Teams");
  const rootCtx = await browser.newContext({ viewport: LAPTOP });
  rootCtx.setDefaultTimeout(15000);
  const root = await signIn(rootCtx, "root", "root");
  await root.goto(new URL("/inbox/admin/teams", root.url()).href);
  const field = root.getByLabel("Quiet time after a reply from outside Baton").first();
  await field.fill("45m");
  await root.getByRole("button", { name: /Save quiet time of team/ }).first().click();
  await root.getByText("Quiet time saved.").first().waitFor();
  await checkBothSizes(root, "Admin · Teams with the quiet time", "staff-admin-teams");
  const rootToken = (await ok(await api("POST", "/v1/auth/login", { name: "root", password: process.env.BATON_PASSWORD }))).token;
  const teams = await ok(await api("GET", "/v1/teams", undefined, rootToken));
  const list = Array.isArray(teams) ? teams : teams.items || teams.teams;
  assert.ok(list.some((t) => t.outside_quiet_seconds === 2700), JSON.stringify(teams));
  console.log("staff: all steps passed");
} finally {
  await browser.close();
}
