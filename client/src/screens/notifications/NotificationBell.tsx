// The bell in the top bar: a link to the notifications with the unread count, kept live.
import { Bell } from "lucide-react";
import { useQuery } from "urql";
import { Link } from "../../lib/router.tsx";
import { UnreadCountQuery } from "./queries.ts";

export function NotificationBell() {
  const [result] = useQuery({ query: UnreadCountQuery });
  const unread = result.data?.unreadNotificationCount ?? 0;
  const label = unread === 0 ? "Notifications" : `Notifications, ${unread} unread`;
  return (
    <Link to="/notifications" className="bell" aria-label={label} title={label}>
      <Bell aria-hidden="true" size={18} />
      {unread > 0 && (
        <span className="bell-count" aria-hidden="true">
          {unread > 99 ? "99+" : unread}
        </span>
      )}
    </Link>
  );
}
