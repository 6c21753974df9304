import type { CodegenConfig } from "@graphql-codegen/cli";

// Types for the client's operations, read from the committed, printed schema (npm run schema:print).
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
  },
};

export default config;
