import { graphql } from "../../../gql/index.ts";

export const FilesQuery = graphql(`
  query Files($mimeTypePrefix: String, $nameContains: String, $workspaceId: ID) {
    files(first: 50, mimeTypePrefix: $mimeTypePrefix, nameContains: $nameContains, workspaceId: $workspaceId) {
      edges {
        node {
          id
          ...FileRowFields
        }
      }
    }
  }
`);

export const StorageStatsQuery = graphql(`
  query StorageStats {
    storageStats {
      files
      bytes
      limitBytes
      maxFileBytes
      allowedTypes
    }
  }
`);

export const DownloadUrlQuery = graphql(`
  query DownloadUrl($id: ID!) {
    node(id: $id) {
      ... on File {
        id
        downloadUrl
      }
    }
  }
`);

export const PreviewUrlQuery = graphql(`
  query PreviewUrl($id: ID!) {
    node(id: $id) {
      ... on File {
        id
        previewUrl
      }
    }
  }
`);

export const RenameFileMutation = graphql(`
  mutation RenameFile($id: ID!, $name: String!) {
    renameFile(id: $id, name: $name) {
      id
      name
    }
  }
`);

export const DeleteFileMutation = graphql(`
  mutation DeleteFile($id: ID!) {
    deleteFile(id: $id)
  }
`);

export const FileWorkspacesQuery = graphql(`
  query FileWorkspaces {
    workspaces(first: 100) {
      edges {
        node {
          id
          name
          status
        }
      }
    }
  }
`);

export const CreateWorkspaceMutation = graphql(`
  mutation CreateWorkspace($name: String!) {
    createWorkspace(name: $name) {
      id
      name
      status
    }
  }
`);

export const UploadFileMutation = graphql(`
  mutation UploadFile($file: Upload!, $workspaceId: ID) {
    uploadFile(file: $file, workspaceId: $workspaceId) {
      id
      name
    }
  }
`);

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}
