import { graphql } from "../../../gql/index.ts";

export const CatalogueQuery = graphql(`
  query Catalogue($search: String) @live {
    agents(first: 100, search: $search) {
      edges {
        node {
          id
          name
          description
          category
          model
          temperature
          color
          ratingSummary {
            average
            count
          }
        }
      }
    }
  }
`);

/** What one of my agents shows (MyAgentItem), and what changing it answers with. */
export const MyAgentFields = graphql(`
  fragment MyAgentFields on UserAgent {
    id
    name
    customName
    customDescription
    customSystemPrompt
    customTemperature
    customMaxTokens
    customColor
    folder
    tags
    isFavorite
    isPinned
    isEnabled
    archivedAt
    notes
    usageCount
    totalTokensUsed
    totalCostUsd
    lastUsedAt
    agent {
      id
      name
      model
      temperature
    }
  }
`);

export const MyAgentsQueryDoc = graphql(`
  query MyAgents($folder: String, $tag: String, $favoritesOnly: Boolean, $includeArchived: Boolean) @live {
    myAgents(
      first: 100
      folder: $folder
      tag: $tag
      favoritesOnly: $favoritesOnly
      includeArchived: $includeArchived
    ) {
      edges {
        node {
          id
          agent {
            id
          }
          ...MyAgentFields
        }
      }
    }
  }
`);

export const AddAgentMutation = graphql(`
  mutation AddAgent($agentId: ID!) {
    addAgent(agentId: $agentId, source: "catalogue") {
      id
      name
    }
  }
`);

export const UpdateUserAgentMutation = graphql(`
  mutation UpdateUserAgent($id: ID!, $input: UserAgentInput!) {
    updateUserAgent(id: $id, input: $input) {
      id
      ...MyAgentFields
    }
  }
`);

export const RemoveUserAgentMutation = graphql(`
  mutation RemoveUserAgent($id: ID!) {
    removeUserAgent(id: $id)
  }
`);

export const RatingsQuery = graphql(`
  query AgentRatings($itemId: ID!) @live {
    ratingSummary(itemType: "agent", itemId: $itemId) {
      average
      count
      distribution
    }
    ratings(itemType: "agent", itemId: $itemId, first: 20) {
      edges {
        node {
          id
          rating
          review
          helpfulCount
          mine
          createdAt
          author {
            id
            displayName
          }
        }
      }
    }
  }
`);

export const RateMutation = graphql(`
  mutation Rate($itemId: ID!, $rating: Int!, $review: String) {
    rate(itemType: "agent", itemId: $itemId, rating: $rating, review: $review) {
      id
      rating
      review
      helpfulCount
      mine
    }
  }
`);

export const HelpfulMutation = graphql(`
  mutation MarkHelpful($id: ID!) {
    markRatingHelpful(id: $id) {
      id
      helpfulCount
    }
  }
`);

/** "a, b , ,c" -> ["a", "b", "c"], without duplicates. */
export function parseTags(text: string): string[] {
  return [
    ...new Set(
      text
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
}

export function stars(avg: number | null | undefined): string {
  if (avg == null) return "☆☆☆☆☆";
  const full = Math.round(avg);
  return "★".repeat(full) + "☆".repeat(5 - full);
}
