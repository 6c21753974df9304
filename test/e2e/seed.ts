// What the screens test shows: a tenant with one of each thing a screen lists (a memory, imported
// content, a pinned agent, a webhook endpoint with a failing delivery, a conversation, a finished
// analysis), and a member of another tenant who must still set up two-factor sign-in.
import { Secret, TOTP } from "otpauth";

export interface Api {
  /** A GraphQL request as the seeded user; throws on errors. */
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

export interface Seeded extends Api {
  token: string;
  runId: string;
  conversationId: string;
  /** A member of a tenant that requires two-factor sign-in, who has not set it up. */
  enrollingToken: string;
}

export function api(url: string, token: string | null): Api {
  return {
    async gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      const r = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await r.json()) as { data?: T; errors?: unknown };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data as T;
    },
  };
}

/** A tenant whose admin (enrolled) requires two-factor sign-in, and a new member without it. */
async function memberWhoMustEnrol(url: string): Promise<string> {
  const admin = await api(url, null).gql<{ signUp: { token: string } }>(
    `mutation($e: String!) { signUp(displayName: "Ada Lovelace", email: $e, password: "correct horse battery staple", tenantName: "Analytical Engines") { token } }`,
    { e: `ada.${Date.now()}@example.com` },
  );
  const { gql } = api(url, admin.signUp.token);
  const { enrollTotp } = await gql<{ enrollTotp: { secret: string } }>(`mutation { enrollTotp { secret } }`);
  const code = new TOTP({ secret: Secret.fromBase32(enrollTotp.secret) }).generate();
  await gql(`mutation($c: String!) { confirmTotp(code: $c) }`, { c: code });
  await gql(`mutation { updateTenantSecurity(requireMfa: true) { requireMfa } }`);
  const invite = await gql<{ createInvite: { token: string } }>(`mutation { createInvite { token } }`);
  const member = await api(url, null).gql<{ signUp: { token: string } }>(
    `mutation($e: String!, $i: String!) { signUp(displayName: "Charles Babbage", email: $e, password: "correct horse battery staple", inviteToken: $i) { token } }`,
    { e: `charles.${Date.now()}@example.com`, i: invite.createInvite.token },
  );
  return member.signUp.token;
}

export async function seedScreens(url: string): Promise<Seeded> {
  const signUp = await api(url, null).gql<{ signUp: { token: string } }>(
    `mutation($e: String!) { signUp(displayName: "Grace Hopper", email: $e, password: "correct horse battery staple", tenantName: "Compilers Inc") { token } }`,
    { e: `grace.${Date.now()}@example.com` },
  );
  const token = signUp.signUp.token;
  const enrollingToken = await memberWhoMustEnrol(url);
  const { gql } = api(url, token);
  await gql(
    `mutation { createMemory(input: { memoryType: fact, memoryKey: "home_city", content: "I live in Arlington, Virginia, and work on compilers for the navy's computers" }) { id } }`,
  );
  await gql(`mutation($items: [ContentItemInput!]!) { importContent(source: text, items: $items) { __typename } }`, {
    items: Array.from({ length: 6 }, (_, i) => ({
      text: i === 2 ? "Got so wasted at the party, total blackout." : `Post ${i}: debugging a relay with a moth in it.`,
    })),
  });
  // A pinned agent of my own, so the agents screen shows its Pin / Unpin controls.
  const agent = await gql<{ createAgent: { id: string } }>(
    `mutation { createAgent(input: { name: "Librarian", model: "gpt-4o-mini", category: "research", description: "Finds sources" }) { id } }`,
  );
  const mine = await gql<{ addAgent: { id: string } }>(`mutation($a: ID!) { addAgent(agentId: $a) { id } }`, {
    a: agent.createAgent.id,
  });
  await gql(`mutation($id: ID!) { updateUserAgent(id: $id, input: { isPinned: true }) { id } }`, {
    id: mine.addAgent.id,
  });
  // An endpoint for finished analyses, so the webhooks section shows an endpoint and its delivery log
  // (the address resolves nowhere: the delivery shows as failing and waiting for its retry).
  await gql(
    `mutation { createWebhookEndpoint(url: "https://hooks.example.test/userplane", eventTypes: [analysis_finished]) { secret } }`,
  );
  const conv = await gql<{ startConversation: { id: string } }>(
    `mutation($ua: ID!) { startConversation(title: "Sources on COBOL", userAgentId: $ua) { id } }`,
    { ua: mine.addAgent.id },
  );
  const conversationId = conv.startConversation.id;
  for (const [role, content] of [
    ["user", "Where did COBOL come from?"],
    [
      "assistant",
      "From the CODASYL committee in 1959, building on FLOW-MATIC.\nA long line that must wrap on a phone: ".concat(
        "x".repeat(120),
      ),
    ],
  ])
    await gql(
      `mutation($c: ID!, $r: MessageRole, $t: String!) { postMessage(conversationId: $c, role: $r, content: $t) { id } }`,
      {
        c: conversationId,
        r: role,
        t: content,
      },
    );
  const run = await gql<{ startAnalysis: { id: string } }>(`mutation { startAnalysis { id } }`);
  const runId = run.startAnalysis.id;
  // Done before the screens are checked, so the run page shows its results (the hook's timeout
  // bounds the wait).
  for (;;) {
    const { status } = (await gql<{ analysisRun: { status: string } }>(`{ analysisRun(id: "${runId}") { status } }`))
      .analysisRun;
    if (status === "complete") break;
    if (status === "failed" || status === "cancelled") throw new Error(`the seeded analysis ended ${status}`);
    await new Promise((done) => setTimeout(done, 250));
  }
  return { token, runId, conversationId, enrollingToken, gql };
}
