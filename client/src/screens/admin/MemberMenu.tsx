// A member's actions in the admin's members table, in a row menu (Radix dropdown menu: keyboard
// and screen-reader ready). Deactivating asks first; both are refused for oneself by the server too.
import * as DropdownMenu from "@radix-ui/react-dropdown-menu";
import { toast } from "sonner";
import { useMutation } from "urql";
import { useConfirm } from "../../components/ConfirmDialog.tsx";
import { errorMessage } from "../../lib/errors.ts";
import { DeactivateMemberMutation, ReactivateMemberMutation } from "./queries.ts";

export function MemberMenu({ member }: { member: { id: string; displayName: string; isActive: boolean } }) {
  const [deactivating, deactivate] = useMutation(DeactivateMemberMutation);
  const [reactivating, reactivate] = useMutation(ReactivateMemberMutation);
  const confirm = useConfirm();
  const busy = deactivating.fetching || reactivating.fetching;

  const onDeactivate = async () => {
    const ok = await confirm({
      title: `Deactivate ${member.displayName}?`,
      description:
        "They are signed out everywhere at once, can't sign in and their API keys stop working until you reactivate them. Their data stays.",
      confirmLabel: "Deactivate",
      danger: true,
    });
    if (!ok) return;
    const r = await deactivate({ userId: member.id });
    if (r.error) toast.error(errorMessage(r.error));
    else toast.success(`${member.displayName} was deactivated.`);
  };
  const onReactivate = async () => {
    const r = await reactivate({ userId: member.id });
    if (r.error) toast.error(errorMessage(r.error));
    else toast.success(`${member.displayName} can sign in again.`);
  };

  return (
    <DropdownMenu.Root modal={false}>
      <DropdownMenu.Trigger asChild>
        <button type="button" disabled={busy} aria-label={`Actions for ${member.displayName}`}>
          ⋯
        </button>
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content className="menu" align="end" sideOffset={4}>
          {member.isActive ? (
            <DropdownMenu.Item className="menu-item danger" onSelect={() => void onDeactivate()}>
              Deactivate
            </DropdownMenu.Item>
          ) : (
            <DropdownMenu.Item className="menu-item" onSelect={() => void onReactivate()}>
              Reactivate
            </DropdownMenu.Item>
          )}
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}
