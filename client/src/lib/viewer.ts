// Who is signed in, with what the shell needs (name, avatar, roles, tenant, MFA): read by the app
// shell and refreshed by screens that change it (the avatar), so it lives apart from both.
import { graphql } from "../../gql/index.ts";

export const ViewerQuery = graphql(`
  query Viewer {
    me {
      id
      displayName
      email
      profile {
        avatarUrl
        preferences
      }
      roles {
        id
        role
        inEffect
      }
      totpEnabled
      tenant {
        id
        name
        slug
        requireMfa
      }
    }
  }
`);
