// What an id of this API is, in one place: every row is keyed by a UUID, and the API shows rows by
// Relay global IDs (base64 of "Type:uuid"). Services check and build ids only through this module.
import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import { badInput } from "./errors.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether the text is a row's key: anything else names no row, and is not sent to the database. */
export const isUuid = (id: string): boolean => UUID.test(id);

/** The global ID the API shows for a row (notifications and webhooks carry them too). */
export const globalId = (type: string, uuid: string): string => encodeGlobalID(type, uuid);

/** A global ID's type and UUID, or null when the text is not a global ID of a row. */
export function parseGlobalId(id: string): { typename: string; id: string } | null {
  try {
    const decoded = decodeGlobalID(id);
    return isUuid(decoded.id) ? decoded : null;
  } catch {
    return null;
  }
}

/** The UUID a raw UUID or a global ID names (fields that take either), or null. */
export const uuidOf = (id: string): string | null => (isUuid(id) ? id : (parseGlobalId(id)?.id ?? null));

/** uuidOf for an argument: anything that names no row is the argument's input error. */
export function requireUuid(id: string, field: string): string {
  const uuid = uuidOf(id);
  if (!uuid) throw badInput(field, "must be an ID");
  return uuid;
}
