// The Files screen in a browser, on a desk and on a phone: upload with progress, the storage gauge,
// filters, uploading into a workspace and filtering by it (light and dark), a signed download whose
// bytes match, previews of an image and a PDF, rename and delete; and the avatar uploaded on the
// profile screen, shown in the header.
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakePdf, fakePng, tinyPng } from "../support/files.ts";
import { connectBrowser, downloaded, toastsGone } from "./browser.ts";
import { type RunningServer, startProduct } from "./server.ts";

const SHOTS = resolve("test-results/e2e-files");

let server: RunningServer;
let browser: Browser;
let page: Page;
const errors: string[] = [];
const png = fakePng(250_000);
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startProduct();
  browser = await connectBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page.on("pageerror", (e) => errors.push(e.message));
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("the Files screen", () => {
  it("uploads a file with progress and shows it in the list and the gauge", async () => {
    await page.goto(`${server.url}/signup`);
    await page.getByLabel("Your name").fill("Grace Hopper");
    await page.getByLabel("Email").fill(`grace.${Date.now()}@example.com`);
    await page.getByLabel("Password").fill("correct horse battery staple");
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByRole("link", { name: "Files" }).first().click();
    await page.getByRole("heading", { name: "Files", exact: true }).waitFor();
    await page.getByText("No files yet. Upload one above.").waitFor();

    await page.getByLabel("Upload a file (or drop it here)").setInputFiles({
      name: "chart.png",
      mimeType: "application/octet-stream",
      buffer: png,
    });
    await page.getByText("Uploaded chart.png").waitFor();
    const list = page.getByRole("list", { name: "Files" });
    await list.getByText("chart.png").waitFor();
    await list.getByText(/250 kB · image\/png/).waitFor();
    await page.getByText(/250 kB of 1\.0 GB used, 1 file/).waitFor();
    await page.screenshot({ path: join(SHOTS, "01-uploaded.png"), fullPage: true });
  });

  it("filters by type and name", async () => {
    await page.getByLabel("Type").selectOption("text/");
    await page.getByText("No files match.").waitFor();
    await page.getByLabel("Type").selectOption("image/");
    await page.getByRole("list", { name: "Files" }).getByText("chart.png").waitFor();
    await page.getByLabel("Name contains").fill("nothing-like-it");
    await page.getByText("No files match.").waitFor();
    await page.getByLabel("Name contains").fill("");
    await page.getByLabel("Type").selectOption("");
  });

  it("downloads the same bytes through a signed link", async () => {
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("article", { name: "chart.png" }).getByRole("button", { name: "Download" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("chart.png");
    expect(sha(await downloaded(download))).toBe(sha(png));
  });

  it("uploads into a chosen workspace and filters by it, on a desk in light and a phone in dark", async () => {
    await page.getByLabel("New workspace").fill("Thesis");
    await page.getByRole("button", { name: "Create workspace" }).click();
    const target = page.getByLabel("Upload into");
    await expect.poll(() => target.evaluate((el) => (el as HTMLSelectElement).selectedOptions[0]?.text)).toBe("Thesis");
    await page.getByLabel("Upload a file (or drop it here)").setInputFiles({
      name: "notes.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("chapter one\n"),
    });
    await page.getByText("Uploaded notes.txt").waitFor();
    const list = page.getByRole("list", { name: "Files" });
    await list
      .getByRole("article", { name: "notes.txt" })
      .getByText(/in Thesis/)
      .waitFor();
    await expect.poll(() => list.getByRole("article", { name: "chart.png" }).getByText(/ in /).count()).toBe(0);

    const filter = page.getByLabel("Workspace", { exact: true });
    await filter.selectOption({ label: "Thesis" });
    await page.getByRole("article", { name: "chart.png" }).waitFor({ state: "detached" });
    await list.getByRole("article", { name: "notes.txt" }).waitFor();
    await page.screenshot({ path: join(SHOTS, "06-workspace-desk-light.png"), fullPage: true });
    const scheme = () => page.evaluate(() => getComputedStyle(document.documentElement).colorScheme);
    expect(await scheme()).toBe("light");

    await page.emulateMedia({ colorScheme: "dark" });
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(scheme).toBe("dark");
    for (const label of ["Upload into", "New workspace"]) await page.getByLabel(label).waitFor();
    await filter.waitFor();
    // Nothing sideways on a phone: every control of the picker fits the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(SHOTS, "07-workspace-phone-dark.png"), fullPage: true });

    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 1280, height: 900 });
    await filter.selectOption({ label: "All workspaces" });
    await page.getByRole("article", { name: "chart.png" }).waitFor();
    await target.selectOption({ label: "No workspace" });
    await page.getByRole("article", { name: "notes.txt" }).getByRole("button", { name: "Delete" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Delete" }).click();
    await page.getByRole("article", { name: "notes.txt" }).waitFor({ state: "detached" });
  });

  it("previews an image and a PDF in a dialog, from inline signed URLs", async () => {
    for (const [name, buffer] of [
      ["dot.png", tinyPng()],
      ["report.pdf", fakePdf(4000)],
    ] as const)
      await page.getByLabel("Upload a file (or drop it here)").setInputFiles({
        name,
        mimeType: "application/octet-stream",
        buffer,
      });
    const dot = page.getByRole("article", { name: "dot.png" });
    await dot.waitFor();
    const [shown] = await Promise.all([
      page.waitForResponse((r) => r.url().includes("disposition=inline")),
      dot.getByRole("button", { name: "Preview" }).click(),
    ]);
    expect(shown.headers()["content-disposition"]).toMatch(/^inline;/);
    const dialog = page.getByRole("dialog", { name: "dot.png" });
    const img = dialog.getByRole("img", { name: "Preview of dot.png" });
    await img.waitFor();
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(2);
    await page.screenshot({ path: join(SHOTS, "03-preview-image.png") });
    await dialog.getByRole("button", { name: "Close" }).click();
    await dialog.waitFor({ state: "detached" });

    const pdf = page.getByRole("article", { name: "report.pdf" });
    await pdf.waitFor();
    const [framed] = await Promise.all([
      page.waitForResponse((r) => r.url().includes("disposition=inline")),
      pdf.getByRole("button", { name: "Preview" }).click(),
    ]);
    expect(framed.status()).toBe(200);
    expect(framed.headers()["content-type"]).toBe("application/pdf");
    expect(framed.headers()["content-security-policy"]).toContain("frame-ancestors 'self'");
    const frame = page.getByRole("dialog", { name: "report.pdf" }).locator("iframe");
    expect(await frame.getAttribute("title")).toBe("Preview of report.pdf");
    expect(await frame.getAttribute("src")).toMatch(
      /^\/files\/[0-9a-f-]{36}\?expires=\d+&disposition=inline&signature=/,
    );
    await page.screenshot({ path: join(SHOTS, "04-preview-pdf.png") });
    // Escape would go to the PDF viewer, which has the focus inside its frame.
    await page.getByRole("dialog", { name: "report.pdf" }).getByRole("button", { name: "Close" }).click();
    await page.getByRole("dialog").waitFor({ state: "detached" });
    for (const name of ["dot.png", "report.pdf"]) {
      await page.getByRole("article", { name }).getByRole("button", { name: "Delete" }).click();
      await page.getByRole("alertdialog").getByRole("button", { name: "Delete" }).click();
      await page.getByRole("article", { name }).waitFor({ state: "detached" });
    }
  });

  it("uploads an avatar on the profile screen and shows it in the header", async () => {
    await page.getByRole("link", { name: "Profile" }).first().click();
    await page.getByRole("heading", { name: "Avatar" }).waitFor();
    await page.getByText("No avatar uploaded.").waitFor();
    await page
      .getByLabel("Upload an image")
      .setInputFiles({ name: "me.png", mimeType: "image/png", buffer: tinyPng() });
    await page.getByText("Avatar updated").waitFor();
    const mine = page.getByRole("img", { name: "Your avatar" });
    await mine.waitFor();
    await expect.poll(() => mine.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(2);
    const header = page.locator("header.topbar img.avatar");
    await header.waitFor();
    await expect.poll(() => header.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(2);
    await page.screenshot({ path: join(SHOTS, "05-avatar.png") });
    // Not an image by its content: refused, the old avatar stays.
    await page.getByLabel("Upload an image").setInputFiles({
      name: "fake.png",
      mimeType: "image/png",
      buffer: Buffer.from("not really a picture"),
    });
    await page.getByText(/not accepted/).waitFor();
    await page.getByRole("button", { name: "Remove avatar" }).click();
    await page.getByText("No avatar uploaded.").waitFor();
    await header.waitFor({ state: "detached" });
    await page.getByRole("link", { name: "Files" }).first().click();
    await page.getByRole("article", { name: "chart.png" }).waitFor();
  });

  it("renames and deletes", async () => {
    await page.getByRole("article", { name: "chart.png" }).getByRole("button", { name: "Rename" }).click();
    const form = page.getByRole("form", { name: "Rename chart.png" });
    await form.getByLabel("Name").fill("scan 2024.png");
    await form.getByRole("button", { name: "Save" }).click();
    await page.getByRole("article", { name: "scan 2024.png" }).waitFor();

    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByLabel("Upload a file (or drop it here)").waitFor();
    await page.screenshot({ path: join(SHOTS, "02-phone.png"), fullPage: true });
    await toastsGone(page);
    await page.getByRole("article", { name: "scan 2024.png" }).getByRole("button", { name: "Delete" }).click();
    await page.getByRole("alertdialog").getByRole("button", { name: "Delete" }).click();
    await page.getByText("No files yet. Upload one above.").waitFor();
    await page.getByText(/0 B of 1\.0 GB used, 0 files/).waitFor();
    expect(errors).toEqual([]);
  });
});
