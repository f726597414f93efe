// The embedding view's page script: built into the published CLI, bundled on demand from source.
import { fileURLToPath } from "node:url";

// set by tsup.config.ts in the built CLI; undefined when running from source
declare const __BYOL_VIEW_PAGE__: string | undefined;

/** The bundled script of page.ts. */
export async function viewPageScript(): Promise<string> {
  if (typeof __BYOL_VIEW_PAGE__ === "string") return __BYOL_VIEW_PAGE__;
  // from source only: esbuild is a development dependency
  const { bundlePage } = await import("./bundle-page");
  return bundlePage(fileURLToPath(new URL("./page.ts", import.meta.url)));
}
