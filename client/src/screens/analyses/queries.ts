import type { ContentSource } from "../../../gql/graphql.ts";
import { graphql } from "../../../gql/index.ts";
import type { RunStatus } from "../../lib/analysisProgress.ts";

export const ImportContentMutation = graphql(`
  mutation ImportContent($source: ContentSource!, $items: [ContentItemInput!]!) {
    importContent(source: $source, items: $items) {
      imported
      duplicates
    }
  }
`);

export const DeleteContentMutation = graphql(`
  mutation DeleteContent($ids: [ID!]) {
    deleteContent(ids: $ids)
  }
`);

export const ContentItemsQuery = graphql(`
  query ContentItems {
    contentItems(first: 5) {
      edges {
        node {
          id
          source
          text
          externalId
          postedAt
          createdAt
        }
      }
      pageInfo {
        hasNextPage
      }
    }
  }
`);

export const StartAnalysisMutation = graphql(`
  mutation StartAnalysis($sources: [ContentSource!], $userAgentId: ID) {
    startAnalysis(sources: $sources, userAgentId: $userAgentId) {
      id
      status
    }
  }
`);

export const AgentChoicesQuery = graphql(`
  query AgentChoices {
    myAgents(first: 100) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);

export const AnalysisRunsQuery = graphql(`
  query AnalysisRuns {
    analysisRuns(first: 20) {
      edges {
        node {
          id
          ...AnalysisProgressFields
          sources
          overallGrade
          overallScore
          createdAt
          finishedAt
        }
      }
    }
  }
`);

export const MyAnalysisEventsSubscription = graphql(`
  subscription MyAnalysisEvents {
    myAnalysisEvents {
      runId
      ...AnalysisProgressFields
    }
  }
`);

export const AnalysisRunDetailQueryDoc = graphql(`
  query AnalysisRunDetail($id: ID!) {
    analysisRun(id: $id) {
      id
      status
      ...RunViewFields
    }
  }
`);

export const AnalysisProgressSubscription = graphql(`
  subscription AnalysisProgress($runId: ID!) {
    analysisProgress(runId: $runId) {
      runId
      ...AnalysisProgressFields
    }
  }
`);

export const CancelAnalysisMutation = graphql(`
  mutation CancelAnalysis($id: ID!) {
    cancelAnalysis(id: $id) {
      id
      cancelRequested
    }
  }
`);

export const SOURCES: { value: ContentSource; label: string }[] = [
  { value: "text", label: "Texts" },
  { value: "twitter", label: "X / Twitter" },
  { value: "facebook", label: "Facebook" },
  { value: "instagram", label: "Instagram" },
  { value: "linkedin", label: "LinkedIn" },
  { value: "tiktok", label: "TikTok" },
];

export const sourceLabel = (s: string) => SOURCES.find((x) => x.value === s)?.label ?? s;

export const STATUS_LABEL: Record<RunStatus, string> = {
  queued: "Queued",
  running: "Running",
  complete: "Complete",
  failed: "Failed",
  cancelled: "Cancelled",
};
