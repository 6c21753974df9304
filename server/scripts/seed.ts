// Fills a demo tenant so a newcomer can explore in GraphiQL at once. Safe to run twice.
import { loadConfig } from "../config.ts";
import { openDatabase } from "../db/client.ts";
import { createLogger } from "../logger.ts";
import { createAppPubSub } from "../pubsub.ts";
import { createServices } from "../services/index.ts";
import { periodCovering } from "../services/quota.ts";

export const DEMO_PASSWORD = "userplane-demo";
export const DEMO_ADMIN = "admin@demo.userplane.dev";
export const DEMO_MEMBER = "member@demo.userplane.dev";

const config = loadConfig();
const logger = createLogger({ ...config, LOG_LEVEL: "warn" });
const db = await openDatabase(config, { logger });
const { pubsub, close } = createAppPubSub(undefined);
const services = createServices({ config, db, logger, pubsub });
const prisma = db.prisma;
const request = { ip: "127.0.0.1", userAgent: "userplane-seed", referrer: null };

if (await prisma.user.findUnique({ where: { email: DEMO_ADMIN } })) {
  console.log(`demo data already present; sign in as ${DEMO_ADMIN} / ${DEMO_PASSWORD}`);
} else {
  const admin = await services.sessions.signUp(
    { email: DEMO_ADMIN, password: DEMO_PASSWORD, displayName: "Ada Admin", tenantName: "Demo Health" },
    request,
  );
  const tenantId = admin.session.tenantId;
  const adminViewer = await services.sessions.resolveViewer(admin.token);
  if (adminViewer.kind !== "session") throw new Error("seed: admin session missing");
  const { token: inviteToken } = await services.membership.createInvite(
    adminViewer,
    { role: "member", expiresInDays: 7 },
    request,
  );
  const member = await services.sessions.signUp(
    { email: DEMO_MEMBER, password: DEMO_PASSWORD, displayName: "Max Member", inviteToken },
    request,
  );
  await prisma.profile.update({
    where: { userId: admin.user.id },
    data: {
      jobTitle: "Head of Clinical Ops",
      department: "Operations",
      organization: "Demo Health",
      preferences: { theme: "dark", language: "en", timezone: "Europe/Berlin" },
    },
  });
  await prisma.profile.update({
    where: { userId: member.user.id },
    data: { jobTitle: "Regulatory Analyst", department: "Regulatory", twitter: "max_member" },
  });

  const agents = await Promise.all(
    [
      [
        "FDA Navigator",
        "Answers questions on FDA submissions and guidance.",
        "Regulatory",
        "You are an expert in FDA regulation. Cite guidance documents.",
      ],
      [
        "Trial Designer",
        "Helps plan clinical trial protocols.",
        "Clinical",
        "You design clinical trials following ICH-GCP.",
      ],
      [
        "Social Screen",
        "Reviews social media posts for visa and reputation risk.",
        "Screening",
        "Flag content that could harm a visa application.",
      ],
      [
        "Summariser",
        "Turns long documents into short bullet points.",
        "Productivity",
        "Summarise in concise bullet points.",
      ],
    ].map(([name, description, category, systemPrompt]) =>
      prisma.agent.create({ data: { tenantId, name: name!, description, category, systemPrompt } }),
    ),
  );
  for (const [user, picks] of [
    [admin.user, [0, 1, 3]],
    [member.user, [0, 2]],
  ] as const) {
    for (const [i, idx] of picks.entries()) {
      const agent = agents[idx]!;
      await prisma.userAgent.create({
        data: {
          userId: user.id,
          tenantId,
          agentId: agent.id,
          originalAgentId: agent.id,
          isPinned: i === 0,
          isFavorite: i === 0,
          folder: i === 0 ? "Daily" : "Projects",
          tags: i === 0 ? ["daily", "regulatory"] : ["projects"],
          usageCount: 12 - i * 3,
          source: "catalogue",
        },
      });
    }
  }
  const ratings: [string, number, number, string][] = [
    [admin.user.id, 0, 5, "Saves me hours on every submission."],
    [member.user.id, 0, 4, "Good, but cites old guidance sometimes."],
    [member.user.id, 2, 5, "Caught posts I had forgotten about."],
  ];
  for (const [userId, idx, rating, review] of ratings) {
    await prisma.rating.create({
      data: { userId, tenantId, itemType: "agent", itemId: agents[idx]!.id, rating, review },
    });
  }
  const memories: [string, "preference" | "context" | "fact" | "instruction", string, number][] = [
    ["communication_style", "preference", "Prefers concise bullet point summaries", 0.8],
    ["current_project", "context", "Working on a Phase III clinical trial for a new vaccine", 0.9],
    ["employer", "fact", "Works at Demo Health in the clinical operations team", 0.6],
    ["citations", "instruction", "Always cite the relevant FDA guidance documents", 0.7],
    ["lunch", "fact", "Loves Italian cuisine, especially fresh pasta", 0.2],
  ];
  const vectors = await services.embedder.embed(memories.map((m) => m[2]));
  for (const [i, [memoryKey, memoryType, content, importanceScore]] of memories.entries()) {
    await prisma.memory.create({
      data: {
        userId: admin.user.id,
        tenantId,
        memoryKey,
        memoryType,
        content,
        memoryValue: { content, source: "seed", confidence: 0.9 },
        importanceScore,
        embedding: vectors[i]!,
        embeddingModel: services.embedder.model,
      },
    });
  }
  const { start, end } = periodCovering("month", new Date());
  await prisma.quota.createMany({
    data: [
      { tenantId, quotaType: "tokens", quotaLimit: 1_000_000n, currentUsage: 0n, periodStart: start, periodEnd: end },
      { tenantId, quotaType: "api_calls", quotaLimit: 10_000n, currentUsage: 0n, periodStart: start, periodEnd: end },
      { tenantId, quotaType: "users", quotaLimit: 25n, currentUsage: 2n, periodStart: start, periodEnd: end },
    ],
  });
  const models = ["gpt-4o-mini", "claude-3-haiku", "userplane-lexicon-1"];
  const now = Date.now();
  await prisma.usageLog.createMany({
    data: Array.from({ length: 60 }, (_, i) => ({
      userId: i % 3 === 0 ? member.user.id : admin.user.id,
      tenantId,
      provider: "demo",
      model: models[i % models.length]!,
      tokensUsed: 500 + ((i * 137) % 2000),
      cost: ((500 + ((i * 137) % 2000)) * 0.000002).toFixed(6),
      createdAt: new Date(now - i * 3 * 86_400_000),
    })),
  });
  console.log(`seeded tenant "Demo Health"; sign in as ${DEMO_ADMIN} or ${DEMO_MEMBER}, password ${DEMO_PASSWORD}`);
}

await close();
await db.close();
