import { type ReactNode, useEffect, useMemo, useRef, useState } from "react";
import { Toaster } from "sonner";
import { Provider, useMutation, useQuery } from "urql";
import { graphql } from "../gql/index.ts";
import { Avatar } from "./components/Avatar.tsx";
import { ConfirmProvider } from "./components/ConfirmDialog.tsx";
import { LiveNotice } from "./components/LiveNotice.tsx";
import { MainNav, MenuButton, useMenu, useNavId } from "./components/MainNav.tsx";
import { ErrorNotice, Loading } from "./components/status.tsx";
import { PHONE_WIDTH, useMediaQuery } from "./lib/media.ts";
import { signInPath } from "./lib/next.ts";
import { PreferencesProvider, parsePreferences } from "./lib/preferences.tsx";
import { Link, matchPath, navigate, useLocation, usePathname } from "./lib/router.tsx";
import { useScrollRestoration } from "./lib/scroll.ts";
import { session, useSessionToken } from "./lib/session.ts";
import { createUrqlClient, type LiveConnection } from "./lib/urql.ts";
import { ViewerQuery } from "./lib/viewer.ts";
import { AccessLogScreen } from "./screens/account/AccessLog.tsx";
import { DevMailScreen } from "./screens/account/DevMail.tsx";
import { VerifyEmailBanner } from "./screens/account/EmailVerification.tsx";
import { ForgotPasswordScreen } from "./screens/account/ForgotPassword.tsx";
import { RequiredEnrolmentScreen } from "./screens/account/RequiredEnrolment.tsx";
import { ResetPasswordScreen } from "./screens/account/ResetPassword.tsx";
import { RestoreAccountScreen } from "./screens/account/RestoreAccount.tsx";
import { VerifyEmailScreen } from "./screens/account/VerifyEmail.tsx";
import { AdminScreen } from "./screens/admin/AdminScreen.tsx";
import { AgentsScreen } from "./screens/agents/AgentsScreen.tsx";
import { AnalysesScreen } from "./screens/analyses/AnalysesScreen.tsx";
import { ConversationsScreen } from "./screens/conversations/ConversationsScreen.tsx";
import { FilesScreen } from "./screens/files/FilesScreen.tsx";
import { MemoriesScreen } from "./screens/memories/MemoriesScreen.tsx";
import { NotificationBell } from "./screens/notifications/NotificationBell.tsx";
import { NotificationsScreen } from "./screens/notifications/NotificationsScreen.tsx";
import { ProfileScreen } from "./screens/Profile.tsx";
import { SecurityScreen } from "./screens/Security.tsx";
import { SignInScreen } from "./screens/SignIn.tsx";
import { SignUpScreen } from "./screens/SignUp.tsx";
import { UsageScreen } from "./screens/Usage.tsx";

const SignOutMutation = graphql(`
  mutation SignOut {
    signOut
  }
`);

export function isTenantAdmin(roles: readonly { role: string; inEffect: boolean }[] | null | undefined): boolean {
  return (roles ?? []).some((r) => r.inEffect && (r.role === "admin" || r.role === "superadmin"));
}

export function App() {
  const token = useSessionToken();
  const phone = useMediaQuery(PHONE_WIDTH);
  const setup = useMemo(
    () =>
      createUrqlClient({
        token,
        onSessionEnded: () => session.clear("Your session has ended. Sign in again to continue where you were."),
      }),
    [token],
  );
  useEffect(() => {
    setup.start();
    return () => setup.dispose();
  }, [setup]);
  return (
    <Provider value={setup.client}>
      <ConfirmProvider>
        <Routes token={token} live={setup.live} />
      </ConfirmProvider>
      {/* Colours come from the theme variables (client/src/styles/), so one sonner theme serves both.
          On a phone a toast takes the screen's width, and at the bottom it covered the controls
          there (a conversation's Send, a list's last buttons) for seconds; the page's top scrolls
          away instead. */}
      <Toaster position={phone ? "top-center" : "bottom-center"} closeButton theme="light" />
    </Provider>
  );
}

function Routes({ token, live }: { token: string | null; live: LiveConnection }) {
  const path = usePathname();
  const location = useLocation();
  const Public = PUBLIC_SCREENS[path];
  const isPublic = Public !== undefined;

  useEffect(() => {
    if (!token && !isPublic) navigate(signInPath(location), { replace: true });
  }, [token, isPublic, location]);

  if (Public) return <Public />;
  if (!token) return null;
  return <SignedIn live={live} />;
}

/** Screens anyone may open: signing in, account links from mail, and the dev outbox. */
const PUBLIC_SCREENS: Record<string, (() => ReactNode) | undefined> = {
  "/signin": SignInScreen,
  "/signup": SignUpScreen,
  "/forgot-password": ForgotPasswordScreen,
  "/reset-password": ResetPasswordScreen,
  "/verify-email": VerifyEmailScreen,
  "/restore-account": RestoreAccountScreen,
  "/dev/mail": DevMailScreen,
};

const NAV: { to: string; label: string; admin?: boolean }[] = [
  { to: "/analyses", label: "Analyses" },
  { to: "/agents", label: "Agents" },
  { to: "/memories", label: "Memories" },
  { to: "/conversations", label: "Conversations" },
  { to: "/files", label: "Files" },
  { to: "/usage", label: "Usage & quotas" },
  { to: "/profile", label: "Profile" },
  { to: "/security", label: "Security" },
  { to: "/access-log", label: "Data access" },
  { to: "/admin", label: "Admin", admin: true },
];

function SignedIn({ live }: { live: LiveConnection }) {
  const [result, refetch] = useQuery({ query: ViewerQuery });
  const [, signOut] = useMutation(SignOutMutation);
  const path = usePathname();
  const me = result.data?.me;
  const menu = useMenu(path);
  const navId = useNavId();
  useScrollRestoration(!!me);
  // Once shown, the set-up screen stays until the user continues: the recovery codes are on it.
  const [enrolling, setEnrolling] = useState(false);
  const mustEnrol = !!me?.tenant?.requireMfa && me.totpEnabled === false;
  useEffect(() => {
    if (mustEnrol) setEnrolling(true);
  }, [mustEnrol]);

  useEffect(() => {
    // A token the server no longer accepts reads as anonymous: `me` is null.
    if (result.data && !result.data.me && !result.fetching)
      session.clear("Your session has expired. Sign in again to continue where you were.");
  }, [result.data, result.fetching]);

  // Keyboard and screen-reader users land on the new screen's content after navigating.
  const firstPath = useRef(path);
  useEffect(() => {
    // Without scrolling: navigate() and the scroll restoration of Back decide where the page is.
    if (path !== firstPath.current) document.getElementById("main")?.focus({ preventScroll: true });
    firstPath.current = "";
  }, [path]);

  const prefs = parsePreferences(me?.profile?.preferences);
  useEffect(() => {
    if (me && path === "/") navigate("/analyses", { replace: true });
  }, [me, path]);

  if (!me) {
    if (result.error && !result.data)
      return (
        <main className="center">
          <ErrorNotice error={result.error} retry={refetch} />
        </main>
      );
    return (
      <main className="center">
        <Loading />
      </main>
    );
  }

  const admin = isTenantAdmin(me.roles);
  const doSignOut = async () => {
    session.beginSignOut();
    await signOut({});
    session.clear();
    navigate("/signin");
  };

  if (enrolling || mustEnrol)
    return (
      <RequiredEnrolmentScreen
        tenantName={me.tenant?.name}
        enrolled={!mustEnrol}
        onContinue={() => setEnrolling(false)}
        onSignOut={doSignOut}
      />
    );

  return (
    <PreferencesProvider preferences={me.profile?.preferences}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <div className={`layout${prefs.sidebarCollapsed ? " collapsed" : ""}`}>
        <header className="topbar">
          <MenuButton open={menu.open} setOpen={menu.setOpen} controls={navId} />
          <span className="brand">Userplane</span>
          <span className="muted tenant-name">{me.tenant?.name}</span>
          <span className="spacer" />
          <Avatar url={me.profile?.avatarUrl} />
          <NotificationBell />
          <span className="user-name">{me.displayName}</span>
          <button type="button" onClick={doSignOut}>
            Sign out
          </button>
        </header>
        <MainNav id={navId} items={NAV.filter((n) => !n.admin || admin)} path={path} open={menu.open} />
        <main id="main" className="content" tabIndex={-1}>
          <LiveNotice live={live} />
          <VerifyEmailBanner />
          <Screen path={path} admin={admin} />
        </main>
      </div>
    </PreferencesProvider>
  );
}

function Screen({ path, admin }: { path: string; admin: boolean }): ReactNode {
  const run = matchPath("/analyses/:id", path);
  if (run) return <AnalysesScreen runId={run.id} />;
  const conversation = matchPath("/conversations/:id", path);
  if (conversation) return <ConversationsScreen conversationId={conversation.id} />;
  switch (path) {
    case "/analyses":
      return <AnalysesScreen />;
    case "/agents":
      return <AgentsScreen />;
    case "/memories":
      return <MemoriesScreen />;
    case "/conversations":
      return <ConversationsScreen />;
    case "/files":
      return <FilesScreen />;
    case "/usage":
      return <UsageScreen admin={admin} />;
    case "/notifications":
      return <NotificationsScreen />;
    case "/profile":
      return <ProfileScreen />;
    case "/security":
      return <SecurityScreen />;
    case "/access-log":
      return <AccessLogScreen />;
    case "/admin":
      return admin ? <AdminScreen /> : <ErrorNotice error="Only tenant admins can open the admin screen." />;
    case "/":
      return <Loading />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            There is no page at <code>{path}</code>. <Link to="/">Go to the start page</Link>.
          </p>
        </section>
      );
  }
}
