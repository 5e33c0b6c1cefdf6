// Team routing in headless Chromium: an admin sets round robin, a capacity and business hours
// on the team's routing page; a reviewer goes online from the header and is offered a new
// conversation live. Started by `cargo test --test browser` with BATON_URL, BATON_API_KEY,
// BATON_PASSWORD, RECEIVER_URL, ARTIFACTS and CHROMIUM.
import assert from "node:assert/strict";
import { ARTIFACTS, BASE, PASSWORD, RECEIVER, api, axeScan, launch, signIn, step } from "./lib.mjs";

const browser = await launch();

try {
  const adminCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const aliceCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  adminCtx.setDefaultTimeout(15000);
  aliceCtx.setDefaultTimeout(15000);

  step("an admin sets round robin, a capacity and business hours on the routing page");
  const admin = await signIn(adminCtx, "root", "Root");
  await admin.goto(BASE + "/inbox/admin/teams");
  await admin.getByRole("link", { name: "Routing and hours of team support" }).click();
  await admin.getByRole("heading", { name: "Routing for support" }).waitFor();
  await axeScan(admin, "team routing");
  await admin.getByLabel("Policy").selectOption("round_robin");
  await admin.getByLabel("Offer expires after (seconds, or 90s / 2m)").fill("90s");
  await admin.getByLabel("Capacity of Alice").fill("2");
  await admin.getByLabel("This team keeps business hours").check();
  await admin.getByLabel("Time zone (IANA, e.g. Europe/Berlin)").fill("Mars/Olympus");
  for (const day of ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]) {
    await admin.getByLabel(day, { exact: true }).fill("00:00-24:00");
  }
  await admin.getByLabel("Holidays (one date per line, YYYY-MM-DD)").fill("2031-12-25\n2031-12-26");
  await admin.getByRole("button", { name: "Save routing" }).click();
  // A wrong time zone is named in the form, and nothing is stored.
  await admin.getByRole("alert").getByText(/business_hours\.timezone/).waitFor();
  let r = await api("GET", "/v1/teams/support/routing");
  assert.equal(r.body.policy, "manual", "a refused form stores nothing");
  await admin.getByLabel("Time zone (IANA, e.g. Europe/Berlin)").fill("Europe/Berlin");
  await admin.getByRole("button", { name: "Save routing" }).click();
  await admin.getByRole("status").getByText("Routing saved.").waitFor();
  r = await api("GET", "/v1/teams/support/routing");
  assert.equal(r.status, 200);
  assert.equal(r.body.policy, "round_robin");
  assert.equal(r.body.offer_timeout_seconds, 90);
  assert.equal(r.body.business_hours.timezone, "Europe/Berlin");
  assert.deepEqual(r.body.business_hours.holidays, ["2031-12-25", "2031-12-26"]);
  assert.equal(r.body.open, true, JSON.stringify(r.body));
  assert.equal(r.body.reviewers.find((x) => x.name === "alice").capacity, 2);
  await admin.screenshot({ path: `${ARTIFACTS}/routing.png`, fullPage: true });

  step("alice goes online from the header and is offered a new conversation live");
  const alice = await signIn(aliceCtx, "alice", "Alice");
  await alice.goto(BASE + "/inbox?view=mine");
  const availability = alice.getByLabel("Availability");
  await availability.selectOption("online");
  await alice.getByRole("status").getByText("You are online.").waitFor();
  const login = await api("POST", "/v1/auth/login", { name: "alice", password: PASSWORD }, "");
  r = await api("GET", "/v1/me/availability", null, login.body.token);
  assert.equal(r.body.availability, "online");
  r = await api("POST", "/v1/takeovers", {
    session_id: "routed-1",
    channel: "web",
    reply_webhook: RECEIVER + "/reply",
    reason: "user_requested",
    assignee: "support",
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const row = alice.locator("li.row", { hasText: "routed-1" });
  await row.getByText("Offered to you").waitFor();
  await axeScan(alice, "queue with an offer");
  await alice.setViewportSize({ width: 390, height: 844 });
  await alice.screenshot({ path: `${ARTIFACTS}/queue-offer-phone.png`, fullPage: true });
  await alice.setViewportSize({ width: 1280, height: 900 });

  step("accepting is a claim");
  await row.locator("a.rowlink").click();
  await alice.getByRole("button", { name: /Claim/ }).click();
  await alice.getByRole("status").getByText("Claimed. You can reply now.").waitFor();
  r = await api("GET", "/v1/sessions/routed-1");
  assert.equal(r.body.assigned_to, "alice");

  console.log("routing browser tests passed");
} finally {
  await browser.close();
}
