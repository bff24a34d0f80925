// masto.js's REST client against a node, driven by tests/mastodon_api/test_masto_js.py.
//
//   node tests/js/masto_rest.mjs BASE_URL ACCESS_TOKEN
//
// Makes the calls an app makes first, and prints what masto.js handed back as one JSON
// object: {"step": value, ...}. masto.js has no run-time type checks of its own (its types
// are TypeScript's, erased at run time), so the test checks the shapes on the Python side.
import { createRestAPIClient, MastoHttpError } from "masto";

const [baseUrl, accessToken] = process.argv.slice(2);
if (!baseUrl || !accessToken) {
  console.error("usage: masto_rest.mjs BASE_URL ACCESS_TOKEN");
  process.exit(2);
}

const masto = createRestAPIClient({ url: baseUrl, accessToken });
const out = {};

out.verifyCredentials = await masto.v1.accounts.verifyCredentials();
out.instance = await masto.v2.instance.fetch();

const created = [];
for (const text of ["masto.js one", "masto.js two", "masto.js three"]) {
  created.push(await masto.v1.statuses.create({ status: text, visibility: "unlisted" }));
}
out.created = created;
out.fetched = await masto.v1.statuses.$select(created[0].id).fetch();
out.favourited = await masto.v1.statuses.$select(created[0].id).favourite();

// Home feeds are written by a background job just after a post (as on Mastodon): wait for it.
for (let tries = 0; tries < 100; tries++) {
  const [newest] = await masto.v1.timelines.home.list({ limit: 1 });
  if (newest?.id === created[2].id) break;
  await new Promise((resolve) => setTimeout(resolve, 100));
}

// The home timeline, two at a time: masto.js's paginator follows the Link header's `next`.
const pages = [];
for await (const page of masto.v1.timelines.home.list({ limit: 2 })) {
  pages.push(page.map((status) => status.id));
  if (pages.length === 2) break;
}
out.homePages = pages;

out.edited = await masto.v1.statuses.$select(created[1].id).update({ status: "masto.js two, edited" });
out.deleted = await masto.v1.statuses.$select(created[2].id).remove();

try {
  await masto.v1.statuses.$select(created[2].id).fetch();
  out.missing = null;
} catch (error) {
  out.missing =
    error instanceof MastoHttpError
      ? { statusCode: error.statusCode, message: error.message }
      : { unexpected: String(error) };
}

process.stdout.write(`${JSON.stringify(out)}\n`);
