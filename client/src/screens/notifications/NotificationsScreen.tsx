import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { CheckboxField } from "../../components/Field.tsx";
import { Empty, ErrorNotice, QueryState } from "../../components/status.tsx";
import { useFormat } from "../../lib/preferences.tsx";
import { MarkAllNotificationsReadMutation, MarkNotificationReadMutation, NotificationsQuery } from "./queries.ts";

export function NotificationsScreen() {
  const f = useFormat();
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [result, refetch] = useQuery({ query: NotificationsQuery, variables: { unreadOnly } });
  const [marking, markRead] = useMutation(MarkNotificationReadMutation);
  const [markingAll, markAll] = useMutation(MarkAllNotificationsReadMutation);
  const unread = result.data?.unreadNotificationCount ?? 0;
  return (
    <section>
      <h1>Notifications</h1>
      <div className="row wrap">
        <CheckboxField label="Unread only" checked={unreadOnly} onChange={(e) => setUnreadOnly(e.target.checked)} />
        <span className="spacer" />
        <button type="button" disabled={unread === 0 || markingAll.fetching} onClick={() => markAll({})}>
          Mark all read
        </button>
      </div>
      {(marking.error || markingAll.error) && <ErrorNotice error={(marking.error ?? markingAll.error)!} />}
      <QueryState result={result} retry={refetch}>
        {(data) =>
          data.notifications.edges.length === 0 ? (
            <Empty>{unreadOnly ? "Nothing unread." : "No notifications yet."}</Empty>
          ) : (
            <ul className="notifications">
              {data.notifications.edges.map(({ node: n }) => (
                <li key={n.id} className={`card notification${n.read ? "" : " unread"}`}>
                  <div className="row wrap">
                    <h2 className="notification-title">
                      {!n.read && <span className="visually-hidden">Unread: </span>}
                      {n.title}
                    </h2>
                    <span className="spacer" />
                    <time className="muted" dateTime={n.createdAt}>
                      {f.dateTime(n.createdAt)}
                    </time>
                  </div>
                  <p>{n.body}</p>
                  {!n.read && (
                    <button type="button" className="link" onClick={() => markRead({ id: n.id })}>
                      Mark read
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )
        }
      </QueryState>
    </section>
  );
}
