// A runner's journey through the TypeScript client that openapi-typescript and openapi-fetch
// make of openapi/openapi.json: compiled with `tsc --strict` (no casts, no any) and run against
// a live server by tests/test_generated_clients.py.
//
// Usage: node build/journey.js BASE_URL API_KEY. Prints one line per step; exits non-zero on
// the first surprise.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/schema.js";

type Schemas = components["schemas"];

function fail(message: string): never {
  console.error(`journey failed: ${message}`);
  process.exit(1);
}

function day(date: Date, days: number): string {
  const copy = new Date(date.getTime() + days * 86_400_000);
  return copy.toISOString().slice(0, 10);
}

async function main(baseUrl: string, apiKey: string): Promise<void> {
  const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${apiKey}` } });
  const now = new Date();
  const monday = (now.getUTCDay() + 6) % 7;

  const athleteBody: Schemas["AthleteCreate"] = { name: "Priya", timezone: "UTC", units: "km" };
  const created = await client.POST("/v1/athletes", { body: athleteBody });
  const athlete: Schemas["AthleteOut"] | undefined = created.data;
  if (athlete === undefined) fail(`create_athlete: ${created.response.status}`);
  console.log(`athlete ${athlete.id} (${athlete.units}, version ${athlete.version})`);
  const athleteId = { path: { athlete_id: athlete.id } };

  const intake: Schemas["Intake"] = {
    athlete: { name: "Priya", timezone: "UTC", units: "km" },
    start_date: day(now, -monday - 7),
    running: { weekly_distance: 15, longest_run: 6, runs_per_week: 3 },
    availability: { run_days: ["tue", "thu", "sat"], long_run_day: "sat" },
    goals: [{ name: "Park 5K", date: day(now, 84), type: "5k", priority: "A" }],
  };
  const stored = await client.POST("/v1/athletes/{athlete_id}/intakes", {
    params: athleteId,
    body: intake,
  });
  if (stored.data === undefined) fail(`create_intake: ${stored.response.status}`);
  console.log(`intake ${stored.data.id}: ${(stored.data.intake.goals ?? []).length} goal(s)`);

  const made = await client.POST("/v1/athletes/{athlete_id}/plans", { params: athleteId });
  if (made.data === undefined) fail(`create_plan: ${made.response.status}`);
  const read = await client.GET("/v1/plans/{plan_id}", {
    params: { path: { plan_id: made.data.id } },
  });
  const plan: Schemas["Plan"] | undefined = read.data;
  if (plan === undefined || plan.id !== made.data.id) fail(`get_plan: ${read.response.status}`);
  console.log(`plan ${plan.id} revision ${plan.revision}: ${plan.status}, ${plan.start} to ${plan.end}`);

  const weekEnd = day(new Date(`${plan.start}T00:00:00Z`), 6);
  const firstWeek = plan.sessions.filter((session) => session.date <= weekEnd);
  if (firstWeek.length === 0) fail("the first week has no sessions");
  for (const session of firstWeek) {
    const names = [...session.exercises, ...session.drills].map((entry) => {
      const info: Schemas["ExerciseInfo"] | undefined = plan.exercises[entry.id];
      if (info === undefined) fail(`exercise ${entry.id} is not in the plan's exercises`);
      return `${info.name} ${entry.sets}x${entry.reps ?? entry.seconds ?? ""}`;
    });
    const phase: Schemas["Phase"] = session.phase;
    if (phase === "taper") fail(`session ${session.id} tapers in the first week`);
    console.log(`  ${session.date} ${session.kind.padEnd(10)} ${session.title}: ${names.join(", ")}`);
  }

  const done = firstWeek.filter((session) => session.kind !== "rest").map((session) => session.id);
  const checkIn: Schemas["CheckInIn"] = { date: weekEnd, pain_during: 2, completed: done };
  const answered = await client.POST("/v1/athletes/{athlete_id}/check-ins", {
    params: athleteId,
    body: checkIn,
  });
  const answer: Schemas["CheckInResponse"] | undefined = answered.data;
  if (answer === undefined) fail(`create_check_in: ${answered.response.status}`);
  const load: Schemas["VerdictLoad"] = answer.verdict.load;
  if (load === "regress") fail("2/10 pain during running is no reason to regress");
  console.log(
    `check-in ${answer.check_in.id}: ${load}; plan revision ${answer.plan.revision}, ` +
      `${answer.changes.changed.length} session(s) changed`,
  );

  const tokenMade = await client.POST("/v1/athletes/{athlete_id}/feed-tokens", {
    params: athleteId,
    body: { name: "Phone", alarm_minutes: 30 },
  });
  const token: Schemas["FeedTokenCreated"] | undefined = tokenMade.data;
  if (token === undefined) fail(`create_feed_token: ${tokenMade.response.status}`);
  const secret = (token.url.split("/").pop() ?? "").replace(/\.ics$/, "");
  const feeds = createClient<paths>({ baseUrl });
  const feed = await feeds.GET("/feeds/{token}.ics", {
    params: { path: { token: secret } },
    parseAs: "text",
  });
  const etag = feed.response.headers.get("etag");
  if (feed.data === undefined || etag === null || !feed.data.startsWith("BEGIN:VCALENDAR")) {
    fail(`feed: ${feed.response.status}`);
  }
  const again = await feeds.GET("/feeds/{token}.ics", {
    params: { path: { token: secret }, header: { "If-None-Match": etag } },
    parseAs: "text",
  });
  if (again.response.status !== 304) fail(`feed with If-None-Match: ${again.response.status}`);
  console.log(`feed ${feed.data.length} characters, ETag ${etag}; again: ${again.response.status}`);

  const refused = await client.POST("/v1/athletes", {
    body: { name: "", timezone: "Nowhere/Atlantis" },
  });
  const problem: Schemas["ErrorBody"] | undefined = refused.error;
  if (problem === undefined || refused.response.status !== 422) {
    fail(`an invalid athlete was not refused: ${refused.response.status}`);
  }
  const detail = problem.detail;
  if (typeof detail === "string") fail(`the 422 named no field: ${detail}`);
  const fields = detail
    .map((item) => (typeof item !== "string" && "loc" in item ? item.loc.join(".") : ""))
    .filter((field) => field !== "")
    .sort();
  if (fields.join(" ") !== "body.name body.timezone") fail(`the 422 named ${fields.join(", ")}`);
  console.log(`422 ${problem.error}: ${fields.join(", ")}`);
}

const [baseUrl, apiKey] = process.argv.slice(2);
if (baseUrl === undefined || apiKey === undefined) fail("usage: node build/journey.js BASE_URL API_KEY");
await main(baseUrl, apiKey);
