// masto.js's streaming client against a node, driven by tests/mastodon_api/test_masto_js.py.
//
//   node tests/js/masto_streaming.mjs BASE_URL ACCESS_TOKEN TAG
//
// Reads the streaming address the way an app does (the v2 instance's
// configuration.urls.streaming, through masto.js's REST client), opens one WebSocket with
// masto.js's createStreamingAPIClient and subscribes on it to `user`, `public:local` and
// `hashtag` (TAG). Prints one JSON line per event received, exactly as masto.js hands it over
// ({"stream": [...], "event": "...", "payload": ...}), after a first line
// {"ready": "<streaming url>"}; errors are printed as {"error": "..."} and end the process.
import { createRestAPIClient, createStreamingAPIClient } from "masto";

const [baseUrl, accessToken, tag] = process.argv.slice(2);
if (!baseUrl || !accessToken || !tag) {
  console.error("usage: masto_streaming.mjs BASE_URL ACCESS_TOKEN TAG");
  process.exit(2);
}

const print = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

const fail = (error) => {
  print({ error: String(error?.stack ?? error) });
  process.exit(1);
};

const rest = createRestAPIClient({ url: baseUrl, accessToken });
const instance = await rest.v2.instance.fetch().catch(fail);
const streamingApiUrl = instance.configuration.urls.streaming;

const streaming = createStreamingAPIClient({ streamingApiUrl, accessToken, retry: false });

async function relay(name, subscription) {
  try {
    for await (const event of subscription) {
      print({ subscription: name, ...event });
    }
  } catch (error) {
    fail(error);
  }
}

relay("user", streaming.user.subscribe());
relay("public:local", streaming.public.local.subscribe());
relay("hashtag", streaming.hashtag.subscribe({ tag }));
print({ ready: streamingApiUrl });

process.on("SIGTERM", () => {
  streaming.close();
  process.exit(0);
});
