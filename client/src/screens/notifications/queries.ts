import { graphql } from "../../../gql/index.ts";

export const UnreadCountQuery = graphql(`
  query UnreadNotificationCount @live {
    unreadNotificationCount
  }
`);

export const NotificationsQuery = graphql(`
  query Notifications($unreadOnly: Boolean) @live {
    unreadNotificationCount
    notifications(first: 50, unreadOnly: $unreadOnly) {
      edges {
        node {
          id
          kind
          title
          body
          read
          createdAt
        }
      }
    }
  }
`);

export const MarkNotificationReadMutation = graphql(`
  mutation MarkNotificationRead($id: ID!) {
    markNotificationRead(id: $id) {
      id
      read
      readAt
    }
  }
`);

export const MarkAllNotificationsReadMutation = graphql(`
  mutation MarkAllNotificationsRead {
    markAllNotificationsRead
  }
`);

export const WebhookEndpointsQuery = graphql(`
  query WebhookEndpoints @live {
    webhookEndpoints(first: 20) {
      edges {
        node {
          id
          url
          eventTypes
          active
          createdAt
          deliveries(first: 10) {
            edges {
              node {
                id
                event
                status
                attempts
                lastStatusCode
                lastError
                nextAttemptAt
                deliveredAt
                createdAt
              }
            }
          }
        }
      }
    }
  }
`);

export const CreateWebhookEndpointMutation = graphql(`
  mutation CreateWebhookEndpoint($url: String!, $eventTypes: [NotificationKind!]!) {
    createWebhookEndpoint(url: $url, eventTypes: $eventTypes) {
      secret
      endpoint {
        id
        url
        eventTypes
        active
      }
    }
  }
`);

export const UpdateWebhookEndpointMutation = graphql(`
  mutation UpdateWebhookEndpoint($id: ID!, $active: Boolean) {
    updateWebhookEndpoint(id: $id, active: $active) {
      id
      active
    }
  }
`);

export const DeleteWebhookEndpointMutation = graphql(`
  mutation DeleteWebhookEndpoint($id: ID!) {
    deleteWebhookEndpoint(id: $id)
  }
`);
