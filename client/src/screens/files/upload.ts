// One file up as a GraphQL multipart request, with progress: XMLHttpRequest reports the bytes sent,
// which fetch cannot. The bearer token also satisfies the server's CSRF rule for multipart requests.
import { UPLOAD_DOCUMENT } from "./queries.ts";

export interface UploadResult {
  ok: boolean;
  message?: string;
}

export function uploadFile(
  file: File,
  token: string | null,
  onProgress: (fraction: number) => void,
  url = "/graphql",
  /** Another mutation taking `$file: Upload!` (the avatar's). */
  document = UPLOAD_DOCUMENT,
  /** The document's other variables, e.g. the workspace to upload into. */
  variables: Record<string, unknown> = {},
): { done: Promise<UploadResult>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const form = new FormData();
  form.append("operations", JSON.stringify({ query: document, variables: { ...variables, file: null } }));
  form.append("map", JSON.stringify({ 0: ["variables.file"] }));
  form.append("0", file, file.name);
  const done = new Promise<UploadResult>((resolve) => {
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      try {
        const body = JSON.parse(xhr.responseText) as { errors?: { message: string }[]; data?: unknown };
        if (body.errors?.length) resolve({ ok: false, message: body.errors[0]?.message });
        else resolve({ ok: true });
      } catch {
        resolve({ ok: false, message: `The upload failed (HTTP ${xhr.status}).` });
      }
    };
    xhr.onerror = () => resolve({ ok: false, message: "The upload failed: the connection was lost." });
    xhr.onabort = () => resolve({ ok: false, message: "Upload cancelled." });
  });
  xhr.open("POST", url);
  if (token) xhr.setRequestHeader("authorization", `Bearer ${token}`);
  xhr.send(form);
  return { done, abort: () => xhr.abort() };
}
