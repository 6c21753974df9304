// One in-app confirmation for destructive actions (instead of the browser's confirm(), which can't
// be styled, themed or read the same way on every platform), built on Radix's accessible alert dialog.
import * as AlertDialog from "@radix-ui/react-alert-dialog";
import { createContext, type ReactNode, useCallback, useContext, useRef, useState } from "react";

export interface ConfirmRequest {
  title: string;
  description?: ReactNode;
  /** The verb on the button that goes ahead, e.g. "Revoke". */
  confirmLabel: string;
  /** Destructive actions get the danger style. */
  danger?: boolean;
}

type Confirm = (request: ConfirmRequest) => Promise<boolean>;

const ConfirmContext = createContext<Confirm>(async () => false);

/** `await confirm({...})` resolves true when the user goes ahead, false on cancel or Escape. */
export function useConfirm(): Confirm {
  return useContext(ConfirmContext);
}

export function ConfirmProvider({ children }: { children: ReactNode }) {
  const [request, setRequest] = useState<ConfirmRequest | null>(null);
  const resolver = useRef<((ok: boolean) => void) | null>(null);

  const confirm = useCallback<Confirm>(
    (next) =>
      new Promise<boolean>((resolve) => {
        resolver.current?.(false);
        resolver.current = resolve;
        setRequest(next);
      }),
    [],
  );

  const settle = (ok: boolean) => {
    resolver.current?.(ok);
    resolver.current = null;
    setRequest(null);
  };

  return (
    <ConfirmContext.Provider value={confirm}>
      {children}
      <AlertDialog.Root open={request !== null} onOpenChange={(open) => !open && settle(false)}>
        <AlertDialog.Portal>
          <AlertDialog.Overlay className="dialog-overlay" />
          <AlertDialog.Content className="dialog">
            <AlertDialog.Title className="dialog-title">{request?.title}</AlertDialog.Title>
            <AlertDialog.Description className="dialog-description">
              {request?.description ?? ""}
            </AlertDialog.Description>
            <div className="row dialog-actions">
              <AlertDialog.Cancel asChild>
                <button type="button">Cancel</button>
              </AlertDialog.Cancel>
              <AlertDialog.Action asChild>
                <button
                  type="button"
                  className={request?.danger ? "danger-solid" : "primary"}
                  onClick={() => settle(true)}
                >
                  {request?.confirmLabel}
                </button>
              </AlertDialog.Action>
            </div>
          </AlertDialog.Content>
        </AlertDialog.Portal>
      </AlertDialog.Root>
    </ConfirmContext.Provider>
  );
}
