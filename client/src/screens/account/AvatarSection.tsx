// The avatar on the profile screen: upload an image (with progress) or
// remove it. The server decides what is an image from the bytes; the picker only suggests.
import { useRef, useState } from "react";
import { toast } from "sonner";
import { useMutation } from "urql";
import { graphql } from "../../../gql/index.ts";
import { Avatar } from "../../components/Avatar.tsx";
import { FormStatus } from "../../components/status.tsx";
import { errorMessage } from "../../lib/errors.ts";
import { fetchWithUploadProgress } from "../../lib/uploadProgress.ts";

const RemoveAvatarMutation = graphql(`
  mutation RemoveAvatar {
    removeAvatar {
      id
      profile {
        avatarUrl
        avatarUploaded
      }
    }
  }
`);

const UploadAvatarMutation = graphql(`
  mutation UploadAvatar($file: Upload!) {
    uploadAvatar(file: $file) {
      id
      profile {
        avatarUrl
        avatarUploaded
      }
    }
  }
`);

const TYPES = "image/png,image/jpeg,image/gif,image/webp";

export function AvatarSection({ url, uploaded }: { url: string | null | undefined; uploaded: boolean }) {
  const input = useRef<HTMLInputElement>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [removed, remove] = useMutation(RemoveAvatarMutation);
  // Both answer with the user's new avatar: the cache puts it in the header and the profile alike.
  const [, upload] = useMutation(UploadAvatarMutation);
  const start = async (file: File | undefined) => {
    if (!file) return;
    setError(null);
    setProgress(0);
    const r = await upload({ file }, { fetch: fetchWithUploadProgress(setProgress) });
    setProgress(null);
    if (input.current) input.current.value = "";
    if (r.error) return setError(errorMessage(r.error) ?? "The upload failed.");
    toast.success("Avatar updated");
  };

  return (
    <section className="card" aria-labelledby="avatar-h">
      <h2 id="avatar-h">Avatar</h2>
      <div className="row avatar-row">
        {uploaded ? (
          <Avatar url={url} size={64} label="Your avatar" />
        ) : (
          <span className="muted">No avatar uploaded.</span>
        )}
        <div className="field">
          <label htmlFor="avatar-upload">Upload an image</label>
          <input
            id="avatar-upload"
            ref={input}
            type="file"
            accept={TYPES}
            disabled={progress !== null}
            onChange={(e) => void start(e.target.files?.[0])}
          />
          <small className="muted">PNG, JPEG, GIF or WebP. Your colleagues see it beside your name.</small>
        </div>
        {uploaded && (
          <button
            type="button"
            disabled={removed.fetching}
            onClick={async () => {
              const r = await remove({});
              if (r.error) return setError(errorMessage(r.error) ?? "The avatar could not be removed.");
              toast.success("Avatar removed");
            }}
          >
            Remove avatar
          </button>
        )}
      </div>
      {progress !== null && (
        <progress aria-label="Avatar upload progress" max={1} value={progress}>
          {Math.round(progress * 100)}%
        </progress>
      )}
      <FormStatus error={error} />
    </section>
  );
}
