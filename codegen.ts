import type { CodegenConfig } from "@graphql-codegen/cli";

// Types for the client's operations and the schema for its cache, read from the committed, printed
// schema (npm run schema:print).
const config: CodegenConfig = {
  schema: "client/schema.graphql",
  documents: ["client/src/**/*.{ts,tsx}"],
  ignoreNoDocuments: true,
  generates: {
    "client/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: { unmaskFunctionName: "getFragmentData" } },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        strictScalars: true,
        scalars: { DateTime: "string", Date: "string", JSON: "unknown", Upload: "File" },
      },
    },
    // The schema, minified, for the normalized cache (client/src/lib/cache.ts): it knows types,
    // keys and lists without asking the server.
    "client/gql/introspection.ts": {
      plugins: ["urql-introspection"],
      config: { module: "es2015", useTypeImports: true, includeScalars: false },
    },
  },
};

export default config;
