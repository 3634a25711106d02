#!/bin/sh
# Installs Tandem from this unpacked tarball for one user (default ~/.local) or system-wide
# (--prefix /usr/local, as root), with its menu entry and icon; --uninstall removes what it put.
#   ./install.sh                      into ~/.local (bin/tandem, the menu entry, the icons)
#   ./install.sh --prefix DIR         into DIR
#   ./install.sh --uninstall [--prefix DIR]
# The window needs the X11/Wayland libraries of any desktop (libx11-6, libxcursor1, libxi6,
# libxkbcommon-x11-0, libwayland-client0) and a font; file dialogs use the desktop portal or zenity.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
prefix=$HOME/.local
action=install
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --uninstall) action=uninstall; shift ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

id=org.tandemcluster.Tandem
files=$(cd "$here" && find bin share -type f | sort)

refresh_caches() {
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$prefix/share/applications" 2>/dev/null || true
  fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$prefix/share/icons/hicolor/index.theme" ]; then
    gtk-update-icon-cache -q -t -f "$prefix/share/icons/hicolor" 2>/dev/null || true
  fi
}

if [ "$action" = uninstall ]; then
  for file in $files; do
    rm -f "$prefix/$file"
  done
  rmdir "$prefix/share/doc/tandem/examples" "$prefix/share/doc/tandem" 2>/dev/null || true
  refresh_caches
  echo "Tandem removed from $prefix (profiles and run journals in ~/.local/share/tandem are kept)."
  exit 0
fi

for file in $files; do
  mode=644
  [ "${file#bin/}" != "$file" ] && mode=755
  mkdir -p "$prefix/$(dirname "$file")"
  cp "$here/$file" "$prefix/$file.new"
  chmod "$mode" "$prefix/$file.new"
  mv -f "$prefix/$file.new" "$prefix/$file"
done

# A menu started from the desktop does not always have ~/.local/bin on its PATH: point the
# entry at the installed binary itself.
desktop=$prefix/share/applications/$id.desktop
exec_path=$prefix/bin/tandem
case "$exec_path" in *" "*) exec_path="\"$exec_path\"" ;; esac
awk -v exec_line="Exec=$exec_path" '/^Exec=tandem$/ { print exec_line; next } { print }' "$desktop" >"$desktop.new"
mv -f "$desktop.new" "$desktop"
refresh_caches

echo "Tandem $("$prefix/bin/tandem" --version | cut -d' ' -f2) installed in $prefix."
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "Add $prefix/bin to your PATH to run 'tandem' from a terminal." ;;
esac
echo "Start it from your desktop's menu (Tandem) or with: $prefix/bin/tandem"
