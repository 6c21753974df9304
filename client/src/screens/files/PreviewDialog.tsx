// Previews of images and PDFs in a Radix dialog. The URL is a signed preview URL (inline
// disposition, sniffed type, nosniff, a CSP that lets only this app frame it): an image is an <img>,
// a PDF is drawn by the browser's own viewer in an iframe, so no PDF code of ours runs.
import * as Dialog from "@radix-ui/react-dialog";

export const PREVIEWABLE = ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"];

export interface Preview {
  name: string;
  mimeType: string;
  url: string;
}

export function PreviewDialog({ preview, onClose }: { preview: Preview | null; onClose: () => void }) {
  return (
    <Dialog.Root open={preview !== null} onOpenChange={(open) => !open && onClose()}>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog preview">
          <Dialog.Title className="dialog-title">{preview?.name}</Dialog.Title>
          <Dialog.Description className="dialog-description">
            {preview?.mimeType === "application/pdf" ? "PDF preview" : "Image preview"}
          </Dialog.Description>
          {preview &&
            (preview.mimeType === "application/pdf" ? (
              <iframe className="preview-frame" src={preview.url} title={`Preview of ${preview.name}`} />
            ) : (
              <img className="preview-image" src={preview.url} alt={`Preview of ${preview.name}`} />
            ))}
          <div className="row dialog-actions">
            <Dialog.Close asChild>
              <button type="button">Close</button>
            </Dialog.Close>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
