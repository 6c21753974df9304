import { graphql } from "../../../gql/index.ts";

export const RateLimitsQuery = graphql(`
  query RateLimits {
    rateLimits(first: 100) {
      edges {
        node {
          id
          action
          limitType
          limitScope
          limitValue
          userId
          agentId
          apiKeyId
          isActive
          updatedAt
        }
      }
    }
  }
`);

export const RateLimitViolationsQuery = graphql(`
  query RateLimitViolations {
    rateLimitViolations(first: 25) {
      edges {
        node {
          id
          action
          limitType
          limitScope
          limitValue
          retryAfterSeconds
          createdAt
        }
      }
    }
  }
`);

export const SetRateLimitMutation = graphql(`
  mutation SetRateLimit(
    $id: ID
    $action: String!
    $limitType: RateLimitType!
    $limitScope: RateLimitScope!
    $limitValue: Int!
    $userId: ID
    $agentId: ID
    $apiKeyId: ID
    $isActive: Boolean
  ) {
    setRateLimit(
      id: $id
      action: $action
      limitType: $limitType
      limitScope: $limitScope
      limitValue: $limitValue
      userId: $userId
      agentId: $agentId
      apiKeyId: $apiKeyId
      isActive: $isActive
    ) {
      id
      action
      limitType
      limitScope
      limitValue
      isActive
      updatedAt
    }
  }
`);

export const DeleteRateLimitMutation = graphql(`
  mutation DeleteRateLimit($id: ID!) {
    deleteRateLimit(id: $id) {
      id
    }
  }
`);

export const RetentionQuery = graphql(`
  query Retention @live {
    retentionPolicies {
      id
      kind
      keepDays
      defaultKeepDays
      isDefault
      updatedAt
    }
    retentionRuns(first: 10) {
      edges {
        node {
          id
          trigger
          startedAt
          finishedAt
          totalRemoved
          removed {
            table
            reason
            count
          }
        }
      }
    }
  }
`);

export const SetRetentionPolicyMutation = graphql(`
  mutation SetRetentionPolicy($kind: RetentionKind!, $keepDays: Int) {
    setRetentionPolicy(kind: $kind, keepDays: $keepDays) {
      id
      kind
      keepDays
      isDefault
      updatedAt
    }
  }
`);
