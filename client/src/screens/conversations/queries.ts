import { graphql } from "../../../gql/index.ts";

export const ConversationsQuery = graphql(`
  query Conversations($archived: Boolean) @live {
    conversations(first: 50, archived: $archived) {
      edges {
        node {
          id
          title
          messageCount
          lastMessageAt
          createdAt
          archived
        }
      }
    }
  }
`);

export const ThreadQuery = graphql(`
  query Thread($id: ID!) @live {
    conversation(id: $id) {
      id
      title
      archived
      messageCount
      messages(last: 100) {
        edges {
          node {
            id
            role
            content
            model
            tokens
            createdAt
            attachments {
              id
              name
              mimeType
            }
          }
        }
      }
    }
  }
`);

export const AttachableFilesQuery = graphql(`
  query AttachableFiles {
    files(first: 50) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);

export const StartConversationMutation = graphql(`
  mutation StartConversation($title: String) {
    startConversation(title: $title) {
      id
      title
    }
  }
`);

export const PostMessageMutation = graphql(`
  mutation PostMessage($conversationId: ID!, $content: String!, $attachmentIds: [ID!], $idempotencyKey: String) {
    postMessage(
      conversationId: $conversationId
      content: $content
      attachmentIds: $attachmentIds
      idempotencyKey: $idempotencyKey
    ) {
      id
      role
      content
      createdAt
    }
  }
`);

export const ArchiveConversationMutation = graphql(`
  mutation ArchiveConversation($id: ID!, $archived: Boolean) {
    archiveConversation(id: $id, archived: $archived) {
      id
      archived
      archivedAt
    }
  }
`);

export const DeleteConversationMutation = graphql(`
  mutation DeleteConversation($id: ID!) {
    deleteConversation(id: $id)
  }
`);

/** Limits the server states (services/conversations.ts), shown before sending. */
export const MAX_MESSAGE_CHARS = 32_000;
export const MAX_TITLE_CHARS = 200;
export const MAX_ATTACHMENTS = 10;
