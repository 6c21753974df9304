// Helpers for the conversation tests: start one, post to it, subscribe to its events.
import { type Execute, ok, type TestUser } from "../kit.ts";

export const EVENTS = /* GraphQL */ `
  subscription Events($id: ID!) {
    conversationEvents(conversationId: $id) { id role content tokens model attachments { id } }
  }
`;

export interface PostedMessage {
  id: string;
  role: string;
  content: string;
}

export async function startConversation(
  exec: Execute,
  token: string,
  variables: { title?: string; userAgentId?: string; workspaceId?: string } = {},
): Promise<string> {
  const d = await ok(
    exec,
    `mutation($title: String, $userAgentId: ID, $workspaceId: ID) {
      startConversation(title: $title, userAgentId: $userAgentId, workspaceId: $workspaceId) { id }
    }`,
    variables,
    token,
  );
  return d.startConversation.id;
}

export const POST = /* GraphQL */ `
  mutation Post($id: ID!, $content: String!, $role: MessageRole, $tokens: Int, $cost: Float, $model: String, $files: [ID!]) {
    postMessage(conversationId: $id, content: $content, role: $role, tokens: $tokens, cost: $cost, model: $model, attachmentIds: $files) {
      id role content
    }
  }
`;

export async function post(
  exec: Execute,
  token: string,
  id: string,
  content: string,
  extra: { role?: string; tokens?: number; cost?: number; model?: string; files?: string[] } = {},
): Promise<PostedMessage> {
  return (await ok(exec, POST, { id, content, ...extra }, token)).postMessage;
}

/** An agent of the admin's tenant added to `user`'s agents; returns the UserAgent's global id. */
export async function userAgentOf(exec: Execute, admin: TestUser, user: TestUser, name = "Helper"): Promise<string> {
  const agent = (
    await ok(exec, `mutation($n: String!) { createAgent(input: { name: $n }) { id } }`, { n: name }, admin.token)
  ).createAgent.id;
  return (await ok(exec, `mutation($a: ID!) { addAgent(agentId: $a) { id } }`, { a: agent }, user.token)).addAgent.id;
}

/**
 * Resolves once `events` is receiving: a subscription is registered on the server some time after
 * the client sends it, so pings are posted until one arrives (each later post is then delivered).
 */
export async function untilSubscribed(
  exec: Execute,
  token: string,
  id: string,
  events: { events: { content: string }[] },
): Promise<void> {
  for (let i = 0; ; i++) {
    await post(exec, token, id, `ping ${i}`);
    await new Promise((r) => setTimeout(r, 50));
    if (events.events.some((e) => e.content.startsWith("ping "))) return;
  }
}
