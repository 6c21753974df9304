import type { Role } from "../../../gql/graphql.ts";
import { graphql } from "../../../gql/index.ts";

export const MembersQuery = graphql(`
  query Members @live {
    me {
      id
      tenant {
        id
        name
        slug
        members(first: 100) {
          edges {
            node {
              id
              displayName
              email
              lastSignInAt
              profile {
                isActive
              }
              roles {
                id
                role
                effectiveFrom
                effectiveTo
                inEffect
                isActing
                isPrimary
              }
            }
          }
        }
      }
    }
  }
`);

export const AssignRoleMutation = graphql(`
  mutation AssignRole($userId: ID!, $role: Role!, $effectiveFrom: Date, $effectiveTo: Date, $isActing: Boolean) {
    assignRole(userId: $userId, role: $role, effectiveFrom: $effectiveFrom, effectiveTo: $effectiveTo, isActing: $isActing) {
      id
      role
      effectiveFrom
      effectiveTo
      inEffect
      isActing
      user {
        id
      }
    }
  }
`);

export const DeactivateMemberMutation = graphql(`
  mutation DeactivateMember($userId: ID!) {
    deactivateMember(userId: $userId) {
      id
      profile {
        isActive
      }
    }
  }
`);

export const ReactivateMemberMutation = graphql(`
  mutation ReactivateMember($userId: ID!) {
    reactivateMember(userId: $userId) {
      id
      profile {
        isActive
      }
    }
  }
`);

export const InvitesQuery = graphql(`
  query Invites @live {
    invites(first: 50) {
      edges {
        node {
          id
          email
          role
          createdAt
          expiresAt
          acceptedAt
        }
      }
    }
  }
`);

export const CreateInviteMutation = graphql(`
  mutation CreateInvite($email: String, $role: Role, $expiresInDays: Int) {
    createInvite(email: $email, role: $role, expiresInDays: $expiresInDays) {
      token
      invite {
        id
        email
        role
        createdAt
        expiresAt
        acceptedAt
      }
    }
  }
`);

export const AdminAgentsQueryDoc = graphql(`
  query AdminAgents @live {
    agents(first: 100, includeInactive: true) {
      edges {
        node {
          id
          ...CatalogueAgentFields
        }
      }
    }
  }
`);

export const CreateAgentMutation = graphql(`
  mutation CreateAgent($input: AgentInput!) {
    createAgent(input: $input) {
      id
      name
    }
  }
`);

// The changed fields come back so the cache updates the catalogue wherever it is shown.
export const UpdateAgentMutation = graphql(`
  mutation UpdateAgent($id: ID!, $input: AgentInput!) {
    updateAgent(id: $id, input: $input) {
      id
      ...CatalogueAgentFields
    }
  }
`);

export const SetQuotaMutation = graphql(`
  mutation SetQuota($quotaType: QuotaType!, $quotaLimit: Float!, $alertThresholdPercentage: Float, $period: QuotaPeriod) {
    setQuota(
      quotaType: $quotaType
      quotaLimit: $quotaLimit
      alertThresholdPercentage: $alertThresholdPercentage
      period: $period
    ) {
      id
      quotaType
      period
      quotaLimit
      alertThresholdPercentage
      usagePercentage
      alert
      isExceeded
    }
  }
`);

export const AuditLogQuery = graphql(`
  query AuditLog($action: String, $after: String) @live {
    auditLog(first: 25, after: $after, action: $action) {
      edges {
        node {
          id
          action
          resource
          resourceId
          ipAddress
          createdAt
          metadata
          actor {
            id
            displayName
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const ROLES: Role[] = ["member", "admin", "superadmin"];

export function inviteLink(token: string, origin = window.location.origin): string {
  return `${origin}/signup?invite=${encodeURIComponent(token)}`;
}
