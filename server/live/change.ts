// A change event's shape and the resource keys it invalidates: plain data, shared by the pub/sub
// topic that carries it (pubsub.ts) and the services and live queries that use it (changes.ts,
// queries.ts).

/** GraphQL type names of the rows the screens show. */
export type LiveType =
  | "Session"
  | "ApiKey"
  | "Quota"
  | "UsageLog"
  | "Memory"
  | "UserAgent"
  | "Favorite"
  | "Agent"
  | "Rating"
  | "User"
  | "RoleAssignment"
  | "Invite"
  | "AuditLog"
  | "RetentionPolicy"
  | "RetentionRun"
  | "Notification"
  | "WebhookEndpoint"
  | "WebhookDelivery"
  | "Conversation"
  | "Message"
  | "DataExport";

export interface Change {
  type: LiveType;
  id: string;
  /** The tenant whose lists show the row (null for rows of no tenant). */
  tenantId: string | null;
  /** The user whose own lists show the row (null when it belongs to the tenant only). */
  ownerId: string | null;
  op: "create" | "update" | "delete";
}

export const rowKey = (type: LiveType, id: string) => `${type}:${id}`;
export const userKey = (type: LiveType, userId: string) => `${type}@user:${userId}`;
export const tenantKey = (type: LiveType, tenantId: string) => `${type}@tenant:${tenantId}`;

/** The resource keys a change invalidates: its row, and its owner's and tenant's lists of its type. */
export function keysOf(change: Change): string[] {
  const keys = [rowKey(change.type, change.id)];
  if (change.ownerId) keys.push(userKey(change.type, change.ownerId));
  if (change.tenantId) keys.push(tenantKey(change.type, change.tenantId));
  return keys;
}
