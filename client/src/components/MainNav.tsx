// The main navigation: a sidebar on a desk, and on a phone one top row with a Menu button that
// opens the list (three rows of links before any content was too much on a small screen).
import { Menu, X } from "lucide-react";
import { useEffect, useId, useState } from "react";
import { Link } from "../lib/router.tsx";

export interface NavItem {
  to: string;
  label: string;
}

export function useMenu(path: string) {
  const [open, setOpen] = useState(false);
  // Choosing a screen closes the menu.
  useEffect(() => {
    if (path) setOpen(false);
  }, [path]);
  return { open, setOpen };
}

export function MenuButton({
  open,
  setOpen,
  controls,
}: {
  open: boolean;
  setOpen: (o: boolean) => void;
  controls: string;
}) {
  return (
    <button
      type="button"
      className="menu-button"
      aria-expanded={open}
      aria-controls={controls}
      onClick={() => setOpen(!open)}
    >
      {open ? <X aria-hidden="true" size={18} /> : <Menu aria-hidden="true" size={18} />}
      <span>Menu</span>
    </button>
  );
}

export function MainNav({ id, items, path, open }: { id: string; items: NavItem[]; path: string; open: boolean }) {
  return (
    <nav id={id} className={`sidebar${open ? " open" : ""}`} aria-label="Main">
      <ul>
        {items.map((n) => (
          <li key={n.to}>
            <Link to={n.to} aria-current={path.startsWith(n.to) ? "page" : undefined}>
              {n.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export function useNavId() {
  return `${useId()}-nav`;
}
