import type { MemoryFieldsFragment, MemoryType } from "../../../gql/graphql.ts";
import { graphql } from "../../../gql/index.ts";

export const MemoryFields = graphql(`
  fragment MemoryFields on Memory {
    id
    memoryType
    memoryKey
    content
    importanceScore
    accessCount
    lastAccessedAt
    expiresAt
    updatedAt
  }
`);

export const MemoriesQuery = graphql(`
  query Memories($memoryType: MemoryType, $after: String) @live {
    memories(first: 25, after: $after, memoryType: $memoryType) {
      edges {
        node {
          ...MemoryFields
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const SearchMemoriesQuery = graphql(`
  query SearchMemories($query: String!, $memoryType: MemoryType) {
    searchMemories(query: $query, memoryType: $memoryType, first: 10) {
      score
      memory {
        ...MemoryFields
      }
    }
  }
`);

export const CreateMemoryMutation = graphql(`
  mutation CreateMemory($input: MemoryInput!) {
    createMemory(input: $input) {
      ...MemoryFields
    }
  }
`);

export const UpdateMemoryMutation = graphql(`
  mutation UpdateMemory($id: ID!, $input: MemoryInput!) {
    updateMemory(id: $id, input: $input) {
      ...MemoryFields
    }
  }
`);

export const DeleteMemoryMutation = graphql(`
  mutation DeleteMemory($id: ID!) {
    deleteMemory(id: $id)
  }
`);

export const MEMORY_TYPES: { value: MemoryType; label: string }[] = [
  { value: "fact", label: "Fact" },
  { value: "preference", label: "Preference" },
  { value: "context", label: "Context" },
  { value: "instruction", label: "Instruction" },
];

/** Cosine similarity (-1..1) as a percentage for people; negative similarity reads as 0 %. */
export function scorePercent(score: number): number {
  return Math.round(Math.max(0, Math.min(1, score)) * 100);
}

export type MemoryItem = MemoryFieldsFragment;
