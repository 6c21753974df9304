// Forced enrolment: in a tenant that requires a second factor, a member without one may read who
// they are, enrol and sign out, and nothing else, over HTTP and WebSocket alike. The check sits
// here, once, on the operation's root fields, rather than in every resolver.
import { type DocumentNode, Kind, type OperationDefinitionNode } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context.ts";
import { AppError } from "../errors.ts";

/** Root fields open to a viewer who must enrol first. */
const OPEN = new Set(["me", "enrollTotp", "confirmTotp", "signOut", "__typename", "__schema", "__type"]);

function rootFields(document: DocumentNode, operationName?: string | null): string[] {
  const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const op = operationName ? ops.find((o) => o.name?.value === operationName) : ops[0];
  // Fragments spread at the root are rare; treat each spread's name as a field so they are refused.
  return (op?.selectionSet.selections ?? []).map((s) =>
    s.kind === Kind.FIELD ? s.name.value : s.kind === Kind.FRAGMENT_SPREAD ? `...${s.name.value}` : "...",
  );
}

export const mfaEnrollmentError = () =>
  new AppError(
    "MFA_ENROLLMENT_REQUIRED",
    "This tenant requires two-factor sign-in: set it up (enrollTotp, then confirmTotp) first.",
  );

function refused(args: { contextValue: unknown; document: DocumentNode; operationName?: string | null }) {
  const ctx = args.contextValue as Context;
  if (ctx.viewer.kind === "anonymous" || !ctx.viewer.mfaEnrollmentRequired) return false;
  return rootFields(args.document, args.operationName).some((f) => !OPEN.has(f));
}

export function mfaEnrollmentPlugin(): Plugin {
  return {
    onExecute: ({ args, setResultAndStopExecution }) => {
      if (refused(args)) setResultAndStopExecution({ errors: [mfaEnrollmentError()] });
    },
    onSubscribe: ({ args, setResultAndStopExecution }) => {
      if (refused(args)) setResultAndStopExecution({ errors: [mfaEnrollmentError()] });
    },
  };
}
