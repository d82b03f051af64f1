#!/usr/bin/env bash
# Builds the Debian package: dist/stream-config_VERSION_ARCH.deb (or into the folder given).
#
#   scripts/package.sh [OUTDIR]        (also: make deb)
#
# The version is the one `stream-config --version` prints (StreamRelay.version, the only place
# it is written). The binary is built in release mode with the Swift runtime linked statically,
# then stripped, so it runs on a host with no Swift toolchain (glibc, libstdc++, libuuid and liblz4 only).
# STREAM_CONFIG_RELEASE_BIN=path packages an already built release binary instead of building.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=$(mkdir -p "${1:-$root/dist}" && cd "${1:-$root/dist}" && pwd)

scripts/deps.sh uuid-dev liblz4-dev pkg-config dpkg-dev binutils fakeroot

if [ -n "${STREAM_CONFIG_RELEASE_BIN:-}" ]; then
    built=$STREAM_CONFIG_RELEASE_BIN
else
    scripts/release-build.sh >&2
    built="$(scripts/release-build.sh --show-bin-path)/stream-config"
fi

version=$("$built" --version)
# Who answers for this build (Debian requires a name and an address).
maintainer=${DEB_MAINTAINER:-stream-config maintainers <stream-config@example.org>}  # packagers: set your own
arch=$(dpkg --print-architecture)
case "$version" in
    [0-9]*.[0-9]*) ;;
    *) echo "package.sh: '$built --version' printed '$version', not a version" >&2; exit 1 ;;
esac

stage=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$stage" "$work"' EXIT
umask 022

# The program, stripped of debug information and symbols (Debian policy 10.1).
install -D -m 0755 "$built" "$stage/usr/bin/stream-config"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/stream-config"

# Manual pages, compressed as Debian does (gzip -9n: no name, no time stamp).
install -d "$stage/usr/share/man/man1" "$stage/usr/share/man/man5"
gzip -9n < man/stream-config.1 > "$stage/usr/share/man/man1/stream-config.1.gz"
gzip -9n < man/stream.conf.5 > "$stage/usr/share/man/man5/stream.conf.5.gz"

# Shell completions, in the directories Debian's bash-completion, zsh and fish read.
install -d "$stage/usr/share/bash-completion/completions" "$stage/usr/share/zsh/vendor-completions" \
    "$stage/usr/share/fish/vendor_completions.d"
# (bash-completion sources the file: no `#!` line, as Debian's policy for completions asks)
"$built" --generate-completion-script bash | sed '1{/^#!/d}' > "$stage/usr/share/bash-completion/completions/stream-config"
"$built" --generate-completion-script zsh > "$stage/usr/share/zsh/vendor-completions/_stream-config"
"$built" --generate-completion-script fish > "$stage/usr/share/fish/vendor_completions.d/stream-config.fish"

# The relay's unit: installed, never enabled or started by the package.
install -d "$stage/lib/systemd/system"
sed 's|@BINDIR@|/usr/bin|g' contrib/systemd/stream-config-relay.service > "$stage/lib/systemd/system/stream-config-relay.service"

# The edit-config wrapper (copy it over /etc/netdata/edit-config to keep `sudo ./edit-config`).
install -D -m 0755 scripts/edit-config "$stage/usr/share/stream-config/edit-config"

# Documentation: copyright (machine-readable format), the changelog of this native package.
doc="$stage/usr/share/doc/stream-config"
install -d "$doc"
install -m 0644 contrib/debian/copyright "$doc/copyright"
# The date of the commit built (reproducible), or now outside a git checkout.
date=$(git log -1 --format=%aD 2>/dev/null || date -R)
sed -e "s/@VERSION@/$version/" -e "s|@MAINTAINER@|$maintainer|" -e "s/@DATE@/$date/" contrib/debian/changelog \
    | gzip -9n > "$doc/changelog.gz"
gzip -9n < README.md > "$doc/README.md.gz"

# Depends: from the libraries the binary links (dpkg-shlibdeps reads a source package's control).
install -d "$stage/DEBIAN"  # (dpkg-shlibdeps looks for it to know the package's root)
mkdir -p "$work/debian"
printf 'Source: stream-config\n\nPackage: stream-config\nArchitecture: any\n' > "$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O "$stage/usr/bin/stream-config" | sed -n 's/^shlibs:Depends=//p')

find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -type f ! -perm -u+x -exec chmod 0644 {} +
installed_size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s|@MAINTAINER@|$maintainer|" -e "s/@DEPENDS@/$depends/" \
    -e "s/@INSTALLED_SIZE@/$installed_size/" contrib/debian/control > "$stage/DEBIAN/control"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"

deb="$out/stream-config_${version}_${arch}.deb"
fakeroot dpkg-deb -Zxz --build "$stage" "$deb" >&2
echo "$deb"
