// What the browser may show inline: raster images and PDFs, as sniffed at upload. SVG is never
// among them (file-type does not report it; it would be text/plain, and text is not previewed).
const PREVIEWABLE = new Set(["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"]);

export const previewable = (mimeType: string): boolean => PREVIEWABLE.has(mimeType);
