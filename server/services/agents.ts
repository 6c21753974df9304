import { AppError, badInput, isPrismaError, notFound } from "../errors.ts";
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import { announce, type Change, changeOf, transact } from "../live/changes.ts";
import { inEffectOn, type SignedInViewer } from "../viewer.ts";

type Nullable<T> = { [K in keyof T]?: T[K] | null };

export type AgentInput = Nullable<{
  name: string;
  description: string;
  avatar: string;
  color: string;
  category: string;
  systemPrompt: string;
  model: string;
  temperature: number;
  maxTokens: number;
  isActive: boolean;
}>;

export type UserAgentInput = Nullable<{
  customName: string;
  customDescription: string;
  customAvatar: string;
  customColor: string;
  customSystemPrompt: string;
  customTemperature: number;
  customMaxTokens: number;
  isFavorite: boolean;
  isPinned: boolean;
  folder: string;
  tags: string[];
  sortOrder: number;
  displayPosition: string;
  isActive: boolean;
  isEnabled: boolean;
  isVisible: boolean;
  archived: boolean;
  status: string;
  notificationsEnabled: boolean;
  notes: string;
  quickNotes: string;
  settings: unknown;
  preferences: unknown;
  uiConfig: unknown;
  notificationSettings: unknown;
  metadata: unknown;
}>;

/** `undefined` leaves a column alone; explicit null or "" clears a nullable text column. */
const text = (v: string | null | undefined) => (v === undefined ? undefined : v?.trim() ? v.trim() : null);
const keep = <T>(v: T | null | undefined) => (v === null ? undefined : v);
const json = (v: unknown) => (v === undefined || v === null ? undefined : (v as Prisma.InputJsonValue));

function agentData(input: AgentInput) {
  return {
    name: keep(input.name?.trim()),
    description: text(input.description),
    avatar: text(input.avatar),
    color: text(input.color),
    category: text(input.category),
    systemPrompt: text(input.systemPrompt),
    model: keep(input.model),
    temperature: keep(input.temperature),
    maxTokens: keep(input.maxTokens),
    isActive: keep(input.isActive),
  };
}

function uniqueName(e: unknown): never {
  if (isPrismaError(e, "P2002"))
    throw new AppError("CONFLICT", "An agent with this name already exists.", { field: "name" });
  throw e;
}

export async function createAgent(prisma: PrismaClient, viewer: SignedInViewer, input: AgentInput) {
  if (!input.name?.trim()) throw badInput("input.name", "name is required");
  return prisma.agent
    .create({ data: { ...agentData(input), name: input.name.trim(), tenantId: viewer.tenantId } })
    .catch(uniqueName)
    .then(announce(prisma, "Agent", "create"));
}

export async function updateAgent(prisma: PrismaClient, viewer: SignedInViewer, id: string, input: AgentInput) {
  const agent = await prisma.agent.findFirst({ where: { id, tenantId: viewer.tenantId, deletedAt: null } });
  if (!agent) throw notFound("Agent");
  return prisma.agent
    .update({ where: { id }, data: agentData(input) })
    .catch(uniqueName)
    .then(announce(prisma, "Agent", "update"));
}

function userAgentData(input: UserAgentInput): Prisma.UserAgentUpdateInput {
  return {
    customName: text(input.customName),
    customDescription: text(input.customDescription),
    customAvatar: text(input.customAvatar),
    customColor: text(input.customColor),
    customSystemPrompt: text(input.customSystemPrompt),
    customTemperature: input.customTemperature,
    customMaxTokens: input.customMaxTokens,
    // isFavorite is written through the favourites table (writeFavorite), never alone.
    isPinned: keep(input.isPinned),
    folder: text(input.folder),
    tags: input.tags === undefined ? undefined : [...new Set((input.tags ?? []).map((t) => t.trim()))],
    sortOrder: keep(input.sortOrder),
    displayPosition: text(input.displayPosition),
    isActive: keep(input.isActive),
    isEnabled: keep(input.isEnabled),
    isVisible: keep(input.isVisible),
    archivedAt:
      input.archived === undefined || input.archived === null ? undefined : input.archived ? new Date() : null,
    status:
      keep(input.status) ?? (input.archived === true ? "archived" : input.archived === false ? "active" : undefined),
    notificationsEnabled: keep(input.notificationsEnabled),
    notes: text(input.notes),
    quickNotes: text(input.quickNotes),
    settings: json(input.settings),
    preferences: json(input.preferences),
    uiConfig: json(input.uiConfig),
    notificationSettings: json(input.notificationSettings),
    metadata: json(input.metadata),
  };
}

export async function addAgent(
  prisma: PrismaClient,
  viewer: SignedInViewer,
  agentId: string,
  input: UserAgentInput,
  source?: string | null,
) {
  const agent = await prisma.agent.findFirst({ where: { id: agentId, tenantId: viewer.tenantId, deletedAt: null } });
  if (!agent) throw notFound("Agent");
  const data = userAgentData(input);
  return transact(prisma, async (tx, note) => {
    // A re-added agent keeps the star it had: the favourites table outlives the user's copy.
    const starred = await tx.favorite.findUnique({
      where: { userId_itemType_itemId: { userId: viewer.userId, itemType: "agent", itemId: agentId } },
      select: { id: true },
    });
    // Re-adding a removed agent restores the user's copy instead of violating unique(user, agent).
    const ua = await tx.userAgent.upsert({
      where: { userId_agentId: { userId: viewer.userId, agentId } },
      create: {
        ...(data as Prisma.UserAgentUncheckedCreateInput),
        isFavorite: !!starred,
        userId: viewer.userId,
        tenantId: viewer.tenantId,
        agentId,
        originalAgentId: agentId,
        source: source ?? "catalogue",
      },
      update: { ...data, isFavorite: !!starred, deletedAt: null, addedAt: new Date() },
    });
    note(changeOf("UserAgent", "create", ua));
    if (input.isFavorite === true || input.isFavorite === false)
      note(...(await writeFavorite(tx, viewer, agentId, input.isFavorite)));
    return ua;
  });
}

async function ownUserAgent(prisma: PrismaClient, viewer: SignedInViewer, id: string) {
  const ua = await prisma.userAgent.findFirst({ where: { id, userId: viewer.userId, deletedAt: null } });
  if (!ua) throw notFound("UserAgent");
  return ua;
}

export async function updateUserAgent(prisma: PrismaClient, viewer: SignedInViewer, id: string, input: UserAgentInput) {
  const ua = await ownUserAgent(prisma, viewer, id);
  return transact(prisma, async (tx, note) => {
    const updated = await tx.userAgent.update({ where: { id }, data: userAgentData(input) });
    note(changeOf("UserAgent", "update", updated));
    if (input.isFavorite === true || input.isFavorite === false)
      note(...(await writeFavorite(tx, viewer, ua.agentId, input.isFavorite)));
    return updated;
  });
}

export async function removeUserAgent(prisma: PrismaClient, viewer: SignedInViewer, id: string) {
  await ownUserAgent(prisma, viewer, id);
  await prisma.userAgent
    .update({ where: { id }, data: { deletedAt: new Date(), isShared: false, sharedWith: [] } })
    .then(announce(prisma, "UserAgent", "delete"));
}

export async function shareUserAgent(prisma: PrismaClient, viewer: SignedInViewer, id: string, userIds: string[]) {
  await ownUserAgent(prisma, viewer, id);
  const others = [...new Set(userIds)].filter((u) => u !== viewer.userId);
  const members = await prisma.roleAssignment.findMany({
    // Members today: a former (or future) member is not someone to share with.
    where: { tenantId: viewer.tenantId, userId: { in: others }, ...inEffectOn() },
    select: { userId: true },
    distinct: ["userId"],
  });
  if (members.length !== others.length) throw badInput("userIds", "You can only share with members of your tenant.");
  return prisma.userAgent
    .update({
      where: { id },
      data: { isShared: others.length > 0, sharedWith: others, shareSettings: { sharedAt: new Date().toISOString() } },
    })
    .then(announce(prisma, "UserAgent", "update"));
}

export async function setFavorite(
  prisma: PrismaClient,
  viewer: SignedInViewer,
  args: { itemType: string; itemId: string; favorite: boolean; notes?: string | null },
): Promise<boolean> {
  const { itemId } = args;
  if (args.itemType === "agent") {
    const agent = await prisma.agent.findFirst({
      where: { id: itemId, tenantId: viewer.tenantId },
      select: { id: true },
    });
    if (!agent) throw notFound("Agent");
  }
  await transact(prisma, async (tx, note) =>
    note(...(await writeFavorite(tx, viewer, itemId, args.favorite, args.notes, args.itemType))),
  );
  return args.favorite;
}

/**
 * The one way a favourite is written. The favourites table is the source of truth; the seed's
 * flag on the user's copy of an agent (kept for `myAgents(favoritesOnly)` and the star) changes
 * with it in the same transaction, whichever mutation the client used. Returns the changes to
 * announce once the transaction has committed.
 */
async function writeFavorite(
  tx: Prisma.TransactionClient,
  viewer: SignedInViewer,
  itemId: string,
  favorite: boolean,
  notes?: string | null,
  itemType = "agent",
): Promise<Change[]> {
  const key = { userId: viewer.userId, itemType, itemId };
  const changes: Change[] = [];
  if (favorite) {
    const row = await tx.favorite.upsert({
      where: { userId_itemType_itemId: key },
      create: { ...key, tenantId: viewer.tenantId, notes: notes ?? null },
      update: { notes: notes ?? undefined },
    });
    changes.push(changeOf("Favorite", "update", row));
  } else {
    const rows = await tx.favorite.findMany({ where: key, select: { id: true, userId: true, tenantId: true } });
    await tx.favorite.deleteMany({ where: key });
    changes.push(...rows.map((r) => changeOf("Favorite", "delete", r)));
  }
  if (itemType === "agent") {
    const copies = await tx.userAgent.findMany({
      where: { userId: viewer.userId, agentId: itemId },
      select: { id: true, userId: true, tenantId: true },
    });
    await tx.userAgent.updateMany({ where: { id: { in: copies.map((c) => c.id) } }, data: { isFavorite: favorite } });
    changes.push(...copies.map((c) => changeOf("UserAgent", "update", c)));
  }
  return changes;
}
