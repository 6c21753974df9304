// A user's avatar: the uploaded image (a signed /files/ URL) when there is one. External URLs are
// not drawn here: the app's CSP loads images from its own origin only.
export function Avatar({ url, size = 28, label }: { url: string | null | undefined; size?: number; label?: string }) {
  if (!url?.startsWith("/")) return null;
  return (
    <img
      className="avatar"
      src={url}
      width={size}
      height={size}
      // Beside the user's name it adds nothing for a screen reader; alone it is labelled.
      alt={label ?? ""}
      referrerPolicy="no-referrer"
    />
  );
}
